import { createHash } from 'node:crypto';
import { hasPermission, type Permission } from '../auth/permissions.js';
import type { Role } from '../auth/roles.js';
import { canonicalJson } from '../canonical-json.js';
import { VaultError } from '../errors.js';
import type { AuditRow } from '../storage/rows.js';
import type { Storage } from '../storage/storage.js';
import { orgScope } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';

/** Who did it: the API key (null for the library or the local CLI) and the request, if any. */
export interface ActorContext {
  actorKeyId: string | null;
  requestId: string | null;
  /**
   * The calling key's role, for the rules a service applies beyond the route's own permission
   * (moving a credential's destination needs manage_credentials). Null: the library or the local
   * CLI, which hold every power of the org they open.
   */
  role?: Role | null;
}

/** The largest seq both engines store (audit_events.seq is a 32-bit integer on PostgreSQL). */
export const MAX_SEQ = 2_147_483_647;

export const LIBRARY_ACTOR: ActorContext = { actorKeyId: null, requestId: null, role: null };

/** Whether the actor holds `permission` (the library and the local CLI hold them all). */
export function actorMay(actor: ActorContext, permission: Permission): boolean {
  return actor.role == null || hasPermission(actor.role, permission);
}

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditRow['outcome'];
  /** Non-secret facts only: field names, never values; key ids, never keys. */
  details?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** `,"key":value` in canonical JSON, or nothing for an undefined value. */
const member = (key: string, value: unknown): string =>
  value === undefined ? '' : `,"${key}":${canonicalJson(value)}`;

/**
 * The hash of an event: SHA-256 over the previous hash, a newline and the canonical JSON of the
 * snake_case body (a stored format: see test/auth/audit-hash.test.ts). The body's keys are fixed, so
 * they are written here already in canonical (sorted) order instead of being sorted per event; an
 * undefined field is left out, as canonicalJson leaves it out.
 */
export function hashAuditEvent(e: Omit<AuditRow, 'hash'>): string {
  const body =
    member('action', e.action) +
    member('actor_key_id', e.actorKeyId) +
    member('at', e.at) +
    member('details', e.details) +
    member('org_id', e.orgId) +
    member('outcome', e.outcome) +
    member('request_id', e.requestId) +
    member('seq', e.seq) +
    member('target_id', e.targetId) +
    member('target_type', e.targetType);
  // One update of the whole text: the same bytes as three, fewer calls into the hash.
  return createHash('sha256')
    .update(`${e.prevHash}\n{${body.slice(1)}}`)
    .digest('hex');
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  /** First sequence number at which the chain breaks. */
  brokenAt?: number;
  reason?: string;
  /** The hash of the newest event (GENESIS_HASH for an empty chain), when the chain is intact. */
  head?: string;
  /** The hash of the event at the seq asked for with `hashAt`, when the walk reached it. */
  hashAt?: string;
}

/** Events read per storage round trip when a chain is walked (verify, export): memory stays bounded. */
export const AUDIT_BATCH = 500;

/**
 * The audit trail: one hash chain per org (each event's hash covers the previous hash), appended
 * inside the transaction of the change it records, so a change and its audit row land together.
 */
export class AuditLog {
  private readonly storage: Storage;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  async append(
    tx: Repositories,
    orgId: string,
    actor: ActorContext,
    entry: AuditEntry,
    at: string,
  ): Promise<AuditRow> {
    // One appender per org chain at a time, so two nodes never both write seq + 1.
    tx.audit.lockChain(orgId);
    const last = await tx.audit.lastAuditLink(orgId);
    const row: AuditRow = {
      orgId,
      seq: (last?.seq ?? 0) + 1,
      at,
      actorKeyId: actor.actorKeyId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      requestId: actor.requestId,
      outcome: entry.outcome ?? 'success',
      details: entry.details ?? {},
      prevHash: last?.hash ?? GENESIS_HASH,
      hash: '',
    };
    // Hashed in place (the hash covers every field but itself): no copy of the row per event.
    row.hash = hashAuditEvent(row);
    tx.audit.insertAuditEvent(orgId, row);
    return row;
  }

  /**
   * An org's events, newest first. `beforeSeq` is a seq cursor, so at most the largest seq a column
   * holds on both engines (PostgreSQL's integer); a larger one is a client mistake, never a 5xx.
   */
  async list(orgId: string, limit: number, beforeSeq?: number): Promise<AuditRow[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new VaultError('VALIDATION_FAILED', 'limit must be a positive integer', {
        field: 'limit',
      });
    }
    if (
      beforeSeq !== undefined &&
      (!Number.isSafeInteger(beforeSeq) || beforeSeq < 0 || beforeSeq > MAX_SEQ)
    ) {
      throw new VaultError('VALIDATION_FAILED', `before must be an integer from 0 to ${MAX_SEQ}`, {
        field: 'before',
      });
    }
    return this.storage.read(orgScope(orgId), (r) => r.audit.listAuditEvents(orgId, { limit, beforeSeq }));
  }

  /**
   * The org's events with seq above `afterSeq`, oldest first, read in batches of `batch` (each batch
   * its own read), so a long chain is never held in memory at once.
   */
  async *events(orgId: string, afterSeq = 0, batch = AUDIT_BATCH): AsyncGenerator<AuditRow> {
    let cursor = afterSeq;
    for (;;) {
      const rows = await this.storage.read(orgScope(orgId), (r) =>
        r.audit.listAuditEventsAfter(orgId, cursor, batch),
      );
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < batch) return;
      cursor = last.seq;
    }
  }

  /**
   * Recomputes the chain: an edited, deleted or reordered row breaks it. Alone it cannot see that the
   * newest events were deleted; a signed checkpoint (audit-checkpoint.ts) can, with `hashAt`.
   */
  async verify(orgId: string, options: { hashAt?: number } = {}): Promise<ChainVerification> {
    let prev = GENESIS_HASH;
    let count = 0;
    let hashAt: string | undefined;
    const broken = (brokenAt: number, reason: string): ChainVerification => ({
      ok: false,
      events: count,
      brokenAt,
      reason,
    });
    for await (const e of this.events(orgId)) {
      count += 1;
      if (e.seq !== count) return broken(count, 'missing event');
      if (e.prevHash !== prev) return broken(e.seq, 'broken link');
      const { hash, ...rest } = e;
      if (hashAuditEvent(rest) !== hash) return broken(e.seq, 'event altered');
      if (e.seq === options.hashAt) hashAt = hash;
      prev = hash;
    }
    if (options.hashAt === 0) hashAt = GENESIS_HASH;
    return { ok: true, events: count, head: prev, ...(hashAt !== undefined ? { hashAt } : {}) };
  }
}
