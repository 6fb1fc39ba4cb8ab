import type { Database } from 'better-sqlite3';
import type { AuditPage, AuditRow, AuditStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

interface AuditRecord {
  org_id: string;
  seq: number;
  at: string;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS =
  'org_id, seq, at, actor_key_id, action, target_type, target_id, request_id, outcome, details, prev_hash, hash';

const toAudit = (r: AuditRecord): AuditRow => ({
  orgId: r.org_id,
  seq: r.seq,
  at: r.at,
  actorKeyId: r.actor_key_id,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  requestId: r.request_id,
  outcome: r.outcome as AuditRow['outcome'],
  details: JSON.parse(r.details) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The audit trail on SQLite: append-only from the service's point of view. */
export class SqliteAuditStore implements AuditStore {
  private readonly last: Stmt<AuditRecord>;
  private readonly insert: Stmt;
  private readonly page: Stmt<AuditRecord>;
  private readonly pageBefore: Stmt<AuditRecord>;
  private readonly chain: Stmt<AuditRecord>;

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
  }

  async lastAuditEvent(orgId: string): Promise<AuditRow | null> {
    const r = this.last.get(orgId);
    return r ? toAudit(r) : null;
  }

  async insertAuditEvent(e: AuditRow): Promise<void> {
    this.insert.run(
      e.orgId,
      e.seq,
      e.at,
      e.actorKeyId,
      e.action,
      e.targetType,
      e.targetId,
      e.requestId,
      e.outcome,
      JSON.stringify(e.details),
      e.prevHash,
      e.hash,
    );
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
}
