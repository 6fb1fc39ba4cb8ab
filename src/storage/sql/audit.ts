import type { AuditLink, AuditPage, AuditRow } from '../rows.js';
import type { AuditStore } from '../stores.js';
import { type Executor, sql } from './executor.js';
import { type AuditColumns, auditFromRecord, auditValues, AUDIT_COLUMNS as COLUMNS } from './records.js';

const LAST_LINK = sql(
  'audit_last_link',
  'SELECT seq, hash FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1',
);
const INSERT = sql(
  'audit_insert',
  `INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
// A NULL cursor means "from the newest"; the cast gives the parameter a type on PostgreSQL.
const PAGE = sql(
  'audit_page',
  `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? AND (CAST(? AS INTEGER) IS NULL OR seq < ?)
   ORDER BY seq DESC LIMIT ?`,
);
const CHAIN = sql('audit_chain', `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? ORDER BY seq`);
const AFTER = sql(
  'audit_after',
  `SELECT ${COLUMNS} FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
);

/** The audit trail: append-only from the service's point of view. */
export class SqlAuditStore implements AuditStore {
  constructor(private readonly x: Executor) {}

  private row = (r: AuditColumns): AuditRow =>
    auditFromRecord(r, this.x.json<Record<string, unknown>>(r.details));

  lockChain(orgId: string): void {
    this.x.lock('audit-chain', orgId);
  }

  async lastAuditLink(orgId: string): Promise<AuditLink | null> {
    return this.x.get<AuditLink>(LAST_LINK, [orgId]);
  }

  insertAuditEvent(orgId: string, e: Omit<AuditRow, 'orgId'>): void {
    this.x.defer(INSERT, auditValues(orgId, e));
  }

  async listAuditEvents(orgId: string, page: AuditPage): Promise<AuditRow[]> {
    const before = page.beforeSeq ?? null;
    return (await this.x.all<AuditColumns>(PAGE, [orgId, before, before, page.limit])).map(this.row);
  }

  async listAuditChain(orgId: string): Promise<AuditRow[]> {
    return (await this.x.all<AuditColumns>(CHAIN, [orgId])).map(this.row);
  }

  async listAuditEventsAfter(orgId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return (await this.x.all<AuditColumns>(AFTER, [orgId, afterSeq, limit])).map(this.row);
  }
}
