import type { Database } from 'better-sqlite3';
import {
  AUDIT_COLUMNS,
  type AuditRecord as AuditRecordOf,
  auditFromRecord,
  auditValues,
} from '../row-records.js';
import type { AuditPage, AuditRow, AuditStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

type AuditRecord = AuditRecordOf<string>;
const COLUMNS = AUDIT_COLUMNS;
const toAudit = (r: AuditRecord): AuditRow =>
  auditFromRecord(r, JSON.parse(r.details) as Record<string, unknown>);

/** The audit trail on SQLite: append-only from the service's point of view. */
export class SqliteAuditStore implements AuditStore {
  private readonly last: Stmt<AuditRecord>;
  private readonly insert: Stmt;
  private readonly page: Stmt<AuditRecord>;
  private readonly pageBefore: Stmt<AuditRecord>;
  private readonly chain: Stmt<AuditRecord>;
  private readonly after: Stmt<AuditRecord>;

  constructor(db: Database) {
    this.last = prepare(db, `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1`);
    this.insert = prepare(
      db,
      `INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.page = prepare(db, `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT ?`);
    this.pageBefore = prepare(
      db,
      `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    );
    this.chain = prepare(db, `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? ORDER BY seq`);
    this.after = prepare(
      db,
      `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
  }

  async lastAuditEvent(orgId: string): Promise<AuditRow | null> {
    const r = this.last.get(orgId);
    return r ? toAudit(r) : null;
  }

  async insertAuditEvent(e: AuditRow): Promise<void> {
    this.insert.run(...auditValues(e));
  }

  async listAuditEvents(orgId: string, page: AuditPage): Promise<AuditRow[]> {
    const rows =
      page.beforeSeq === undefined
        ? this.page.all(orgId, page.limit)
        : this.pageBefore.all(orgId, page.beforeSeq, page.limit);
    return rows.map(toAudit);
  }

  async listAuditChain(orgId: string): Promise<AuditRow[]> {
    return this.chain.all(orgId).map(toAudit);
  }

  async listAuditEventsAfter(orgId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.after.all(orgId, afterSeq, limit).map(toAudit);
  }
}
