import type { Database } from 'better-sqlite3';
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
import { prepare, type Stmt } from './prepare.js';

type ModuleRecord = ModuleRecordOf<string>;
const COLUMNS = MODULE_COLUMNS;
const toModule = (r: ModuleRecord): ModuleRow =>
  moduleFromRecord(r, JSON.parse(r.manifest) as Record<string, unknown>);

/** Modules on SQLite. Every statement filters by org_id; the list filters are fixed variants, not built SQL. */
export class SqliteModuleStore implements ModuleStore {
  private readonly find: Stmt<ModuleRecord>;
  private readonly listAll: Stmt<ModuleRecord>;
  private readonly listByStatus: Stmt<ModuleRecord>;
  private readonly listByCategory: Stmt<ModuleRecord>;
  private readonly listByBoth: Stmt<ModuleRecord>;
  private readonly exists: Stmt<{ n: number }>;
  private readonly upsert: Stmt<ModuleRecord>;
  private readonly importRow: Stmt;
  private readonly setStatus: Stmt;
  private readonly remove: Stmt;
  private readonly usage: Stmt;
  private readonly healthFailure: Stmt;
  private readonly healthOk: Stmt;
  private readonly unhealthyOrg: Stmt<ModuleRecord>;
  private readonly unhealthyAll: Stmt<ModuleRecord>;

  constructor(db: Database) {
    const order = 'ORDER BY category, name, module_id';
    this.find = prepare(db, `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND module_id = ?`);
    this.listAll = prepare(db, `SELECT ${COLUMNS} FROM modules WHERE org_id = ? ${order}`);
    this.listByStatus = prepare(
      db,
      `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND status = ? ${order}`,
    );
    this.listByCategory = prepare(
      db,
      `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND category = ? ${order}`,
    );
    this.listByBoth = prepare(
      db,
      `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND status = ? AND category = ? ${order}`,
    );
    this.exists = prepare(db, 'SELECT 1 AS n FROM modules WHERE org_id = ? AND module_id = ?');
    this.upsert = prepare(
      db,
      `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, module_id) DO UPDATE SET
         name = excluded.name, category = excluded.category, platform = excluded.platform,
         version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at,
         status = CASE WHEN modules.status = 'disabled' THEN 'disabled' ELSE excluded.status END
       RETURNING ${COLUMNS}`,
    );
    this.importRow = prepare(
      db,
      // An upsert, never INSERT OR REPLACE: a REPLACE deletes the row first, and with it (by cascade)
      // the module's credentials; and it is NEXUS's defect 1 pattern.
      `INSERT INTO modules (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, module_id) DO UPDATE SET
         name = excluded.name, category = excluded.category, platform = excluded.platform,
         version = excluded.version, status = excluded.status, health_status = excluded.health_status,
         manifest = excluded.manifest, installed_at = excluded.installed_at, updated_at = excluded.updated_at,
         failure_count = excluded.failure_count, success_count = excluded.success_count,
         consecutive_failures = excluded.consecutive_failures, last_failure_at = excluded.last_failure_at,
         last_used_at = excluded.last_used_at`,
    );
    this.setStatus = prepare(
      db,
      'UPDATE modules SET status = ?, updated_at = ? WHERE org_id = ? AND module_id = ? AND status <> ?',
    );
    this.remove = prepare(db, 'DELETE FROM modules WHERE org_id = ? AND module_id = ?');
    this.usage = prepare(
      db,
      'UPDATE modules SET success_count = success_count + 1, last_used_at = ? WHERE org_id = ? AND module_id = ?',
    );
    this.healthFailure = prepare(
      db,
      `UPDATE modules SET health_status = ?, failure_count = failure_count + 1,
         consecutive_failures = consecutive_failures + 1, last_failure_at = ?
       WHERE org_id = ? AND module_id = ?`,
    );
    this.healthOk = prepare(
      db,
      'UPDATE modules SET health_status = ?, consecutive_failures = 0 WHERE org_id = ? AND module_id = ?',
    );
    const unhealthy = "(health_status IN ('unhealthy', 'degraded') OR failure_count >= ?)";
    this.unhealthyOrg = prepare(
      db,
      `SELECT ${COLUMNS} FROM modules WHERE org_id = ? AND ${unhealthy} ${order}`,
    );
    this.unhealthyAll = prepare(
      db,
      `SELECT ${COLUMNS} FROM modules WHERE ${unhealthy} ORDER BY org_id, category, name`,
    );
  }

  async findModule(orgId: string, moduleId: string): Promise<ModuleRow | null> {
    const r = this.find.get(orgId, moduleId);
    return r ? toModule(r) : null;
  }

  async listModules(orgId: string, filter: ModuleFilter): Promise<ModuleRow[]> {
    const { status, category } = filter;
    let rows: ModuleRecord[];
    if (status !== undefined && category !== undefined) rows = this.listByBoth.all(orgId, status, category);
    else if (status !== undefined) rows = this.listByStatus.all(orgId, status);
    else if (category !== undefined) rows = this.listByCategory.all(orgId, category);
    else rows = this.listAll.all(orgId);
    return rows.map(toModule);
  }

  async upsertModule(orgId: string, w: ModuleWrite): Promise<{ row: ModuleRow; created: boolean }> {
    const created = this.exists.get(orgId, w.moduleId) === undefined;
    const r = this.upsert.get(
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
      w.now,
    );
    if (!r) throw new Error('upsert returned no row');
    return { row: toModule(r), created };
  }

  async importModule(orgId: string, m: ModuleImport): Promise<void> {
    this.importRow.run(...moduleValues(orgId, m));
  }

  async setModuleStatus(
    orgId: string,
    moduleId: string,
    status: ModuleStatus,
    now: string,
  ): Promise<boolean> {
    return this.setStatus.run(status, now, orgId, moduleId, status).changes === 1;
  }

  async deleteModule(orgId: string, moduleId: string): Promise<boolean> {
    return this.remove.run(orgId, moduleId).changes === 1;
  }

  async recordUsage(orgId: string, moduleId: string, now: string): Promise<boolean> {
    return this.usage.run(now, orgId, moduleId).changes === 1;
  }

  async updateHealth(orgId: string, moduleId: string, u: HealthUpdate): Promise<boolean> {
    const result = u.failure
      ? this.healthFailure.run(u.health, u.now, orgId, moduleId)
      : this.healthOk.run(u.health, orgId, moduleId);
    return result.changes === 1;
  }

  async listUnhealthyModules(orgId: string | null, failureThreshold: number): Promise<ModuleRow[]> {
    const rows =
      orgId === null
        ? this.unhealthyAll.all(failureThreshold)
        : this.unhealthyOrg.all(orgId, failureThreshold);
    return rows.map(toModule);
  }
}
