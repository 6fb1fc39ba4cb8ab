import {
  AUDIT_COLUMNS,
  type AuditRecord as AuditRecordOf,
  auditFromRecord,
  auditValues,
} from '../row-records.js';
import type { AuditPage, AuditRow, AuditStore } from '../types.js';
import { AUDIT_CHAIN_LOCK_SQL } from './advisory-locks.js';
import { type Queryable, statement } from './queryable.js';

type AuditRecord = AuditRecordOf<Record<string, unknown>>;
const COLUMNS = AUDIT_COLUMNS;
const toAudit = (r: AuditRecord): AuditRow => auditFromRecord(r, r.details);

// Appends of one org are serialised (see lastAuditEvent).
const LOCK_CHAIN = statement('audit_lock_chain', AUDIT_CHAIN_LOCK_SQL);
const LAST = statement(
  'audit_last',
  `SELECT ${COLUMNS} FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`,
);
const INSERT = statement(
  'audit_insert',
  `INSERT INTO audit_events (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
);
const PAGE = statement(
  'audit_page',
  `SELECT ${COLUMNS} FROM audit_events WHERE org_id = $1 AND ($2::int IS NULL OR seq < $2)
   ORDER BY seq DESC LIMIT $3`,
);
const CHAIN = statement('audit_chain', `SELECT ${COLUMNS} FROM audit_events WHERE org_id = $1 ORDER BY seq`);
const AFTER = statement(
  'audit_after',
  `SELECT ${COLUMNS} FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
);

/** The audit trail on PostgreSQL: append-only from the service's point of view. */
export class PgAuditStore implements AuditStore {
  constructor(private readonly db: Queryable) {}

  /**
   * The service reads the last event and appends seq + 1 in the same transaction. On SQLite the
   * transactions are serialised; here two nodes could read the same last event and collide, so the
   * read first takes a per-org advisory lock held to the end of the transaction. A separate statement
   * (sent in the same round trip) so that, under READ COMMITTED, the select's snapshot is taken after
   * the lock is granted.
   */
  async lastAuditEvent(orgId: string): Promise<AuditRow | null> {
    const r = (await this.db.rows<AuditRecord>(LAST, [orgId], [{ stmt: LOCK_CHAIN, values: [orgId] }]))[0];
    return r ? toAudit(r) : null;
  }

  /** Deferred: it travels with the transaction's next statement or its COMMIT (one round trip fewer). */
  async insertAuditEvent(e: AuditRow): Promise<void> {
    this.db.defer(INSERT, auditValues(e));
  }

  async listAuditEvents(orgId: string, page: AuditPage): Promise<AuditRow[]> {
    const rows = await this.db.rows<AuditRecord>(PAGE, [orgId, page.beforeSeq ?? null, page.limit]);
    return rows.map(toAudit);
  }

  async listAuditChain(orgId: string): Promise<AuditRow[]> {
    return (await this.db.rows<AuditRecord>(CHAIN, [orgId])).map(toAudit);
  }

  async listAuditEventsAfter(orgId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return (await this.db.rows<AuditRecord>(AFTER, [orgId, afterSeq, limit])).map(toAudit);
  }
}
