import { UNHEALTHY_HEALTH_STATUSES as UNHEALTHY_HEALTH } from '../../modules/module-health.js';
import type { ModuleStatus } from '../../modules/module-statuses.js';
import { KEPT_ON_REINSTALL } from '../../modules/module-statuses.js';
import type { HealthUpdate, ModuleFilter, ModuleImport, ModuleRow, ModuleWrite } from '../rows.js';
import type { ModuleStore } from '../stores.js';
import { type Executor, sql } from './executor.js';
import { MODULE_COLUMNS as COLUMNS, type ModuleColumns, moduleFromRecord, moduleValues } from './records.js';

// Sort columns are COLLATE "C" on PostgreSQL: byte order, as on SQLite.
const ORDER = 'ORDER BY category, name, module_id';
// The rule itself lives in module-health.ts; the SQL only filters with its values.
const UNHEALTHY = `(health_status IN (${UNHEALTHY_HEALTH.map(() => '?').join(', ')}) OR failure_count >= ?)`;

const FIND = sql('mod_find', `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND module_id = ?`);
// The row to change and whether it has credentials, in one statement. Locked: it orders a reinstall
// against a credential store on the same module (PostgreSQL, the module row only; SQLite's writer
// is serialised anyway).
const FIND_FOR_WRITE = sql(
  'mod_find_for_write',
  `SELECT ${COLUMNS}, EXISTS (SELECT 1 FROM credentials c WHERE c.org_id = modules.org_id
     AND c.module_id = modules.module_id) AS has_credential
   FROM modules WHERE org_id = ? AND module_id = ?`,
  { forUpdate: true },
);
// The same lock and credential check, reading only the manifest (see ModuleStore.findManifestForWrite).
const FIND_MANIFEST_FOR_WRITE = sql(
  'mod_find_manifest_for_write',
  `SELECT manifest, EXISTS (SELECT 1 FROM credentials c WHERE c.org_id = modules.org_id
     AND c.module_id = modules.module_id) AS has_credential
   FROM modules WHERE org_id = ? AND module_id = ?`,
  { forUpdate: true },
);
// The same lock with the manifest alone, for a write that never asks about credentials in this
// statement (a reinstall, a renewal's re-check, a credential delete): no probe of the credentials index.
const LOCK_MANIFEST = sql(
  'mod_lock_manifest',
  'SELECT manifest FROM modules WHERE org_id = ? AND module_id = ?',
  { forUpdate: true },
);
const EXISTS = sql('mod_exists', 'SELECT 1 AS n FROM modules WHERE org_id = ? AND module_id = ?');
// One statement for every filter combination: a NULL parameter means "no filter on this column".
const LIST = sql(
  'mod_list',
  `SELECT ${COLUMNS} FROM modules WHERE org_id = ?
     AND (CAST(? AS TEXT) IS NULL OR status = ?) AND (CAST(? AS TEXT) IS NULL OR category = ?) ${ORDER}`,
);
const UPSERT = sql(
  'mod_upsert',
  `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     name = excluded.name, category = excluded.category, platform = excluded.platform,
     version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at,
     status = CASE WHEN modules.status = ? THEN modules.status ELSE excluded.status END
   RETURNING ${COLUMNS}`,
);
// An upsert, never INSERT OR REPLACE: a REPLACE deletes the row first, and with it (by cascade) the
// module's credentials; and it is NEXUS's defect 1 pattern.
const IMPORT = sql(
  'mod_import',
  `INSERT INTO modules (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     name = excluded.name, category = excluded.category, platform = excluded.platform,
     version = excluded.version, status = excluded.status, health_status = excluded.health_status,
     manifest = excluded.manifest, installed_at = excluded.installed_at, updated_at = excluded.updated_at,
     failure_count = excluded.failure_count, success_count = excluded.success_count,
     consecutive_failures = excluded.consecutive_failures, last_failure_at = excluded.last_failure_at,
     last_used_at = excluded.last_used_at`,
);
const SET_STATUS = sql(
  'mod_set_status',
  'UPDATE modules SET status = ?, updated_at = ? WHERE org_id = ? AND module_id = ? AND status <> ?',
);
const DELETE = sql('mod_delete', 'DELETE FROM modules WHERE org_id = ? AND module_id = ?');
const USAGE = sql(
  'mod_usage',
  'UPDATE modules SET success_count = success_count + 1, last_used_at = ? WHERE org_id = ? AND module_id = ?',
);
const HEALTH_FAILURE = sql(
  'mod_health_failure',
  `UPDATE modules SET health_status = ?, failure_count = failure_count + 1,
     consecutive_failures = consecutive_failures + 1, last_failure_at = ?
   WHERE org_id = ? AND module_id = ?`,
);
const HEALTH_OK = sql(
  'mod_health_ok',
  'UPDATE modules SET health_status = ?, consecutive_failures = 0 WHERE org_id = ? AND module_id = ?',
);
const UNHEALTHY_ORG = sql(
  'mod_unhealthy_org',
  `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND ${UNHEALTHY} ${ORDER}`,
);
const UNHEALTHY_ALL = sql(
  'mod_unhealthy_all',
  `SELECT ${COLUMNS} FROM modules WHERE ${UNHEALTHY} ORDER BY org_id, category, name`,
);

/** Modules. Every tenant statement filters by org_id (on PostgreSQL RLS is the second wall). */
export class SqlModuleStore implements ModuleStore {
  constructor(private readonly x: Executor) {}

  private row = (r: ModuleColumns): ModuleRow =>
    moduleFromRecord(r, this.x.json<Record<string, unknown>>(r.manifest));

  async findModule(orgId: string, moduleId: string): Promise<ModuleRow | null> {
    const r = await this.x.get<ModuleColumns>(FIND, [orgId, moduleId]);
    return r ? this.row(r) : null;
  }

  async findModuleForWrite(
    orgId: string,
    moduleId: string,
  ): Promise<{ row: ModuleRow; hasCredential: boolean } | null> {
    const r = await this.x.get<ModuleColumns & { has_credential: unknown }>(FIND_FOR_WRITE, [
      orgId,
      moduleId,
    ]);
    // SQLite answers 0/1, PostgreSQL a boolean.
    return r
      ? { row: this.row(r), hasCredential: r.has_credential === true || r.has_credential === 1 }
      : null;
  }

  async findManifestForWrite(
    orgId: string,
    moduleId: string,
  ): Promise<{ manifest: Record<string, unknown>; hasCredential: boolean } | null> {
    const r = await this.x.get<{ manifest: unknown; has_credential: unknown }>(FIND_MANIFEST_FOR_WRITE, [
      orgId,
      moduleId,
    ]);
    return r
      ? {
          manifest: this.x.json<Record<string, unknown>>(r.manifest),
          hasCredential: r.has_credential === true || r.has_credential === 1,
        }
      : null;
  }

  async lockManifest(orgId: string, moduleId: string): Promise<Record<string, unknown> | null> {
    const r = await this.x.get<{ manifest: unknown }>(LOCK_MANIFEST, [orgId, moduleId]);
    return r ? this.x.json<Record<string, unknown>>(r.manifest) : null;
  }

  async listModules(orgId: string, filter: ModuleFilter): Promise<ModuleRow[]> {
    const status = filter.status ?? null;
    const category = filter.category ?? null;
    return (await this.x.all<ModuleColumns>(LIST, [orgId, status, status, category, category])).map(this.row);
  }

  async upsertModule(orgId: string, w: ModuleWrite): Promise<{ row: ModuleRow; created: boolean }> {
    const values = [
      orgId,
      w.moduleId,
      w.name,
      w.category,
      w.platform,
      w.version,
      w.status,
      w.healthStatus,
      w.manifestText ?? JSON.stringify(w.manifest),
      w.now,
      w.now,
      KEPT_ON_REINSTALL,
    ];
    const { row, inserted } = await this.x.upsert<ModuleColumns>(
      UPSERT,
      values,
      EXISTS,
      [orgId, w.moduleId],
      w.existed,
    );
    if (row === null) throw new Error('upsert returned no row');
    return { row: this.row(row), created: inserted };
  }

  async importModule(orgId: string, m: ModuleImport): Promise<void> {
    await this.x.run(IMPORT, moduleValues(orgId, m));
  }

  async setModuleStatus(
    orgId: string,
    moduleId: string,
    status: ModuleStatus,
    now: string,
  ): Promise<boolean> {
    return (await this.x.run(SET_STATUS, [status, now, orgId, moduleId, status])) === 1;
  }

  async deleteModule(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.x.run(DELETE, [orgId, moduleId])) === 1;
  }

  async recordUsage(orgId: string, moduleId: string, now: string): Promise<boolean> {
    return (await this.x.run(USAGE, [now, orgId, moduleId])) === 1;
  }

  async updateHealth(orgId: string, moduleId: string, u: HealthUpdate): Promise<boolean> {
    const changed = u.failure
      ? await this.x.run(HEALTH_FAILURE, [u.health, u.now, orgId, moduleId])
      : await this.x.run(HEALTH_OK, [u.health, orgId, moduleId]);
    return changed === 1;
  }

  async listUnhealthyModules(orgId: string, failureThreshold: number): Promise<ModuleRow[]> {
    const values = [orgId, ...UNHEALTHY_HEALTH, failureThreshold];
    return (await this.x.all<ModuleColumns>(UNHEALTHY_ORG, values)).map(this.row);
  }

  async listUnhealthyModulesOfAllOrgs(failureThreshold: number): Promise<ModuleRow[]> {
    const values = [...UNHEALTHY_HEALTH, failureThreshold];
    return (await this.x.all<ModuleColumns>(UNHEALTHY_ALL, values)).map(this.row);
  }
}
