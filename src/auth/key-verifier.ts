import { type Clock, isoNow } from '../clock.js';
import type { ApiKeyRow } from '../storage/rows.js';
import { AUTH_SCOPE, type Storage } from '../storage/storage.js';
import { parseApiKey, sameDigest, sha256Hex } from './api-key-format.js';
import { unusableReason } from './api-key-info.js';
import type { Role } from './roles.js';

/** Why a key was refused. Callers outside (HTTP) must answer all of them alike. */
export type VerifyFailure = 'MALFORMED' | 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'GRACE_EXPIRED';

/** Denials are data: verify throws only when the infrastructure is broken. The library's shape. */
export type VerifyResult =
  | { ok: true; orgId: string; keyId: string; role: Role }
  | { ok: false; code: VerifyFailure };

/** What the HTTP auth hook needs besides: the key's own rate limit (null: the configured default). */
export type VerifiedKey =
  | { ok: true; orgId: string; keyId: string; role: Role; rateLimitPerMinute: number | null }
  | { ok: false; code: VerifyFailure };

/** last_used_at is a hint for people, not an access log: write it at most this often per key. */
export const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_MEMORY_LIMIT = 10_000;
/** Compared against when no row exists, so an unknown id costs the same work as a wrong secret. */
const DUMMY_HASH = sha256Hex('orgvault: no such key');

const VERIFIED_LIMIT = 10_000;

const verified = (row: ApiKeyRow): VerifiedKey => ({
  ok: true,
  orgId: row.orgId,
  keyId: row.keyId,
  role: row.role,
  rateLimitPerMinute: row.rateLimitPerMinute,
});

/**
 * Verifies presented API keys (the hot path of every authenticated request).
 *
 * Where storage offers a change token (SQLite), the row a key resolved to is remembered under the
 * token it was read at, keyed by the SHA-256 of the whole presented key. The token is the storage's
 * narrowest (Storage.authChangeToken): it moves when this process commits a write to the keys or
 * orgs, or when any other process commits anything (a CLI revoke); then the next request reads the
 * row again, so a revoke or a rotation takes effect at once, while this process's installs and
 * credential stores leave the cache warm. Expiry and grace are checked against the
 * clock on every request, cached or not. Without a token (PostgreSQL) every request reads.
 */
export class KeyVerifier {
  private readonly storage: Storage;
  private readonly clock: Clock;
  /** keyId -> epoch ms of our last last_used_at write; bounded, a cache only. */
  private readonly touched = new Map<string, number>();
  /** sha256(presented key) -> the row it verified to, and the change token it was read under. */
  private readonly verified = new Map<string, { token: string; row: ApiKeyRow }>();

  constructor(deps: { storage: Storage; clock: Clock }) {
    this.storage = deps.storage;
    this.clock = deps.clock;
  }

  /**
   * `token`: the storage change token the caller already took for this request (the HTTP hook
   * takes one per request and shares it); read here when not given.
   */
  async verify(presented: string, token?: string | null): Promise<VerifiedKey> {
    if (token === undefined) token = this.changeToken();
    const cacheKey = token === null || typeof presented !== 'string' ? null : sha256Hex(presented);
    const cached = cacheKey === null ? undefined : this.verified.get(cacheKey);
    if (cached !== undefined && cached.token === token) return this.accept(cached.row);
    const row = await this.lookup(presented);
    if (row === 'malformed') return { ok: false, code: 'MALFORMED' };
    if (row === null) return { ok: false, code: 'NOT_FOUND' };
    if (cacheKey !== null && token !== null) {
      if (this.verified.size >= VERIFIED_LIMIT) this.verified.clear();
      this.verified.set(cacheKey, { token, row });
    }
    return this.accept(row);
  }

  /**
   * verify() answered from the cache alone, synchronously, when it can be: the row remembered under
   * this very token, with expiry and grace checked against the clock as verify does. undefined when
   * it cannot (nothing remembered, another token, or last_used_at is due a write): then call
   * verify(). It spares the hot path of every request verify's promises.
   */
  verifyNow(presented: string, token: string | null): VerifiedKey | undefined {
    if (token === null || typeof presented !== 'string') return undefined;
    const cached = this.verified.get(sha256Hex(presented));
    if (cached === undefined || cached.token !== token) return undefined;
    const row = cached.row;
    const now = this.clock();
    const reason = unusableReason(row, now.toISOString());
    if (reason !== null) return { ok: false, code: reason };
    if (this.touchDue(row, now.getTime())) return undefined;
    return verified(row);
  }

  /** The narrowest token the storage offers (see Storage.authChangeToken); null: no caching. */
  changeToken(): string | null {
    if (this.storage.authChangeToken) return this.storage.authChangeToken();
    return this.storage.changeToken ? this.storage.changeToken() : null;
  }

  private async accept(row: ApiKeyRow): Promise<VerifiedKey> {
    const now = this.clock();
    const reason = unusableReason(row, now.toISOString());
    if (reason !== null) return { ok: false, code: reason };
    await this.maybeTouch(row, now);
    return verified(row);
  }

  /** The row a presented key belongs to; null for an unknown id or a wrong secret. */
  private async lookup(presented: string): Promise<ApiKeyRow | null | 'malformed'> {
    const parsed = parseApiKey(typeof presented === 'string' ? presented : '');
    let row: ApiKeyRow | null = null;
    if (parsed.kind === 'ovk') {
      const found = await this.storage.read(AUTH_SCOPE, (r) => r.apiKeys.findApiKeyForAuth(parsed.keyId));
      const candidate = found !== null && !found.legacy ? found : null;
      const matches = sameDigest(sha256Hex(parsed.secret), candidate?.hash ?? DUMMY_HASH);
      row = matches ? candidate : null;
    } else if (parsed.kind === 'legacy') {
      // Legacy NEXUS keys have no id: the hash of the whole plaintext is the lookup key itself.
      const hash = sha256Hex(parsed.plaintext);
      row = await this.storage.read(AUTH_SCOPE, (r) => r.apiKeys.findLegacyApiKeyByHash(hash));
    } else {
      return 'malformed';
    }
    return row;
  }

  /** Whether last_used_at is due a write (at most once a TOUCH_INTERVAL_MS per key). */
  private touchDue(row: ApiKeyRow, nowMs: number): boolean {
    // Memory first: on the hot path it answers without parsing the stored time.
    if (nowMs - (this.touched.get(row.keyId) ?? 0) < TOUCH_INTERVAL_MS) return false;
    return row.lastUsedAt === null || nowMs - Date.parse(row.lastUsedAt) >= TOUCH_INTERVAL_MS;
  }

  private async maybeTouch(row: ApiKeyRow, now: Date): Promise<void> {
    const nowMs = now.getTime();
    if (!this.touchDue(row, nowMs)) return;
    // Recorded before the write so concurrent requests of the same key do not all write.
    if (this.touched.size >= TOUCH_MEMORY_LIMIT) this.touched.clear();
    this.touched.set(row.keyId, nowMs);
    const at = isoNow(() => now);
    await this.storage.transaction(AUTH_SCOPE, (tx) => tx.apiKeys.touchApiKey(row.keyId, at));
  }
}
