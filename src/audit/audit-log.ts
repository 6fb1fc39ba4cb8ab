import { createHash } from 'node:crypto';
import { VaultError } from '../errors.js';
import type { AuditRow, Repositories, Storage } from '../storage/types.js';
import { orgScope } from '../storage/types.js';

/** Who did it: the API key (null for the library or the local CLI) and the request, if any. */
export interface ActorContext {
  actorKeyId: string | null;
  requestId: string | null;
}

/** The largest seq both engines store (audit_events.seq is a 32-bit integer on PostgreSQL). */
export const MAX_SEQ = 2_147_483_647;

export const LIBRARY_ACTOR: ActorContext = { actorKeyId: null, requestId: null };

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditRow['outcome'];
  /** Non-secret facts only: field names, never values; key ids, never keys. */
  details?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** Canonical JSON (sorted keys) so a hash does not depend on property order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(',')}}`;
}

export function hashAuditEvent(e: Omit<AuditRow, 'hash'>): string {
  const body = canonical({
    org_id: e.orgId,
    seq: e.seq,
    at: e.at,
    actor_key_id: e.actorKeyId,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    request_id: e.requestId,
    outcome: e.outcome,
    details: e.details,
  });
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  /** First sequence number at which the chain breaks. */
  brokenAt?: number;
  reason?: string;
}

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
    const last = await tx.audit.lastAuditEvent(orgId);
    const partial: Omit<AuditRow, 'hash'> = {
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
    };
    const row: AuditRow = { ...partial, hash: hashAuditEvent(partial) };
    await tx.audit.insertAuditEvent(row);
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

  /** Recomputes the chain: an edited, deleted or reordered row breaks it. */
  async verify(orgId: string): Promise<ChainVerification> {
    const chain = await this.storage.read(orgScope(orgId), (r) => r.audit.listAuditChain(orgId));
    let prev = GENESIS_HASH;
    for (const [i, e] of chain.entries()) {
      if (e.seq !== i + 1)
        return { ok: false, events: chain.length, brokenAt: i + 1, reason: 'missing event' };
      if (e.prevHash !== prev)
        return { ok: false, events: chain.length, brokenAt: e.seq, reason: 'broken link' };
      const { hash, ...rest } = e;
      if (hashAuditEvent(rest) !== hash) {
        return { ok: false, events: chain.length, brokenAt: e.seq, reason: 'event altered' };
      }
      prev = hash;
    }
    return { ok: true, events: chain.length };
  }
}
