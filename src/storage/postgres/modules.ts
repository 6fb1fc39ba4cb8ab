import {
  MODULE_COLUMNS,
  type ModuleRecord as ModuleRecordOf,
  moduleFromRecord,
  moduleValues,
} from '../row-records.js';
import type {
  HealthUpdate,
  ModuleFilter,
  ModuleImport,
  ModuleRow,
  ModuleStatus,
  ModuleStore,
  ModuleWrite,
} from '../types.js';
import { one, type Queryable, statement } from './queryable.js';

type ModuleRecord = ModuleRecordOf<Record<string, unknown>>;
const COLUMNS = MODULE_COLUMNS;
const toModule = (r: ModuleRecord): ModuleRow => moduleFromRecord(r, r.manifest);

// The sort columns are COLLATE "C" in the schema: byte order, as on SQLite, and the index serves it.
const ORDER = 'ORDER BY category, name, module_id';
const UNHEALTHY = "(health_status IN ('unhealthy', 'degraded') OR failure_count >= $1)";

const FIND = statement('mod_find', `SELECT ${COLUMNS} FROM modules WHERE org_id = $1 AND module_id = $2`);
// One statement for every filter combination: a NULL parameter means "no filter on this column".
const LIST = statement(
  'mod_list',
  `SELECT ${COLUMNS} FROM modules WHERE org_id = $1
     AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR category = $3) ${ORDER}`,
);
const UPSERT = statement(
  'mod_upsert',
  `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     name = excluded.name, category = excluded.category, platform = excluded.platform,
     version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at,
     status = CASE WHEN modules.status = 'disabled' THEN 'disabled' ELSE excluded.status END
   RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
);
const IMPORT = statement(
  'mod_import',
  `INSERT INTO modules (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     name = excluded.name, category = excluded.category, platform = excluded.platform,
     version = excluded.version, status = excluded.status, health_status = excluded.health_status,
     manifest = excluded.manifest, installed_at = excluded.installed_at, updated_at = excluded.updated_at,
     failure_count = excluded.failure_count, success_count = excluded.success_count,
     consecutive_failures = excluded.consecutive_failures, last_failure_at = excluded.last_failure_at,
     last_used_at = excluded.last_used_at`,
);
const SET_STATUS = statement(
  'mod_set_status',
  'UPDATE modules SET status = $1, updated_at = $2 WHERE org_id = $3 AND module_id = $4 AND status <> $1',
);
const DELETE = statement('mod_delete', 'DELETE FROM modules WHERE org_id = $1 AND module_id = $2');
const USAGE = statement(
  'mod_usage',
  'UPDATE modules SET success_count = success_count + 1, last_used_at = $1 WHERE org_id = $2 AND module_id = $3',
);
const HEALTH_FAILURE = statement(
  'mod_health_failure',
  `UPDATE modules SET health_status = $1, failure_count = failure_count + 1,
     consecutive_failures = consecutive_failures + 1, last_failure_at = $2
   WHERE org_id = $3 AND module_id = $4`,
);
const HEALTH_OK = statement(
  'mod_health_ok',
  'UPDATE modules SET health_status = $1, consecutive_failures = 0 WHERE org_id = $2 AND module_id = $3',
);
const UNHEALTHY_ORG = statement(
  'mod_unhealthy_org',
  `SELECT ${COLUMNS} FROM modules WHERE org_id = $2 AND ${UNHEALTHY} ${ORDER}`,
);
const UNHEALTHY_ALL = statement(
  'mod_unhealthy_all',
  `SELECT ${COLUMNS} FROM modules WHERE ${UNHEALTHY}
   ORDER BY org_id, category, name`,
);

/** Modules on PostgreSQL. Every statement filters by org_id as well; RLS is the second wall. */
export class PgModuleStore implements ModuleStore {
  constructor(private readonly db: Queryable) {}

  async findModule(orgId: string, moduleId: string): Promise<ModuleRow | null> {
    const r = await one<ModuleRecord>(this.db, FIND, [orgId, moduleId]);
    return r ? toModule(r) : null;
  }

  async listModules(orgId: string, filter: ModuleFilter): Promise<ModuleRow[]> {
    const rows = await this.db.rows<ModuleRecord>(LIST, [
      orgId,
      filter.status ?? null,
      filter.category ?? null,
    ]);
    return rows.map(toModule);
  }

  async upsertModule(orgId: string, w: ModuleWrite): Promise<{ row: ModuleRow; created: boolean }> {
    // xmax = 0 only on a freshly inserted row: created vs replaced in one atomic statement.
    const r = await one<ModuleRecord & { inserted: boolean }>(this.db, UPSERT, [
      orgId,
      w.moduleId,
      w.name,
      w.category,
      w.platform,
      w.version,
      w.status,
      w.healthStatus,
      JSON.stringify(w.manifest),
      w.now,
    ]);
    if (!r) throw new Error('upsert returned no row');
    return { row: toModule(r), created: r.inserted };
  }

  async importModule(orgId: string, m: ModuleImport): Promise<void> {
    await this.db.run(IMPORT, moduleValues(orgId, m));
  }

  async setModuleStatus(
    orgId: string,
    moduleId: string,
    status: ModuleStatus,
    now: string,
  ): Promise<boolean> {
    return (await this.db.run(SET_STATUS, [status, now, orgId, moduleId])) === 1;
  }

  async deleteModule(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.db.run(DELETE, [orgId, moduleId])) === 1;
  }

  async recordUsage(orgId: string, moduleId: string, now: string): Promise<boolean> {
    return (await this.db.run(USAGE, [now, orgId, moduleId])) === 1;
  }

  async updateHealth(orgId: string, moduleId: string, u: HealthUpdate): Promise<boolean> {
    const changed = u.failure
      ? await this.db.run(HEALTH_FAILURE, [u.health, u.now, orgId, moduleId])
      : await this.db.run(HEALTH_OK, [u.health, orgId, moduleId]);
    return changed === 1;
  }

  async listUnhealthyModules(orgId: string | null, failureThreshold: number): Promise<ModuleRow[]> {
    const rows =
      orgId === null
        ? await this.db.rows<ModuleRecord>(UNHEALTHY_ALL, [failureThreshold])
        : await this.db.rows<ModuleRecord>(UNHEALTHY_ORG, [failureThreshold, orgId]);
    return rows.map(toModule);
  }
}
