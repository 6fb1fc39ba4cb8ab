import type { ApiKeyRow } from '../storage/rows.js';
import type { Role } from './roles.js';

/** What the library and the API show about a key: never its hash, never its secret. */
export interface ApiKeyInfo {
  keyId: string;
  orgId: string;
  role: Role;
  name: string | null;
  /** Stored status refined by time: a key past its expiry or grace end shows as such. */
  status: 'active' | 'rotation_pending' | 'rotated' | 'expired' | 'revoked';
  legacy: boolean;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  graceUntil: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  rotatedTo: string | null;
}

/** A key just issued: the plaintext is returned this once and never again. */
export interface IssuedApiKey extends ApiKeyInfo {
  apiKey: string;
}

/** Why a row would not authenticate at `now`, or null when it would. */
export function unusableReason(row: ApiKeyRow, now: string): 'REVOKED' | 'EXPIRED' | 'GRACE_EXPIRED' | null {
  if (row.status === 'revoked') return 'REVOKED';
  if (row.expiresAt !== null && row.expiresAt <= now) return 'EXPIRED';
  if (row.status === 'rotation_pending' && (row.graceUntil === null || row.graceUntil <= now)) {
    return 'GRACE_EXPIRED';
  }
  return null;
}

export function toApiKeyInfo(row: ApiKeyRow, now: string): ApiKeyInfo {
  const reason = unusableReason(row, now);
  const status =
    reason === 'REVOKED'
      ? 'revoked'
      : reason === 'EXPIRED'
        ? 'expired'
        : reason === 'GRACE_EXPIRED'
          ? 'rotated'
          : row.status === 'rotation_pending'
            ? 'rotation_pending'
            : 'active';
  return {
    keyId: row.keyId,
    orgId: row.orgId,
    role: row.role,
    name: row.name,
    status,
    legacy: row.legacy,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    expiresAt: row.expiresAt,
    graceUntil: row.graceUntil,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
    rotatedTo: row.rotatedTo,
  };
}

/** snake_case, for HTTP and `--json`. */
export function toApiKeyJson(k: ApiKeyInfo) {
  return {
    key_id: k.keyId,
    org_id: k.orgId,
    role: k.role,
    name: k.name,
    status: k.status,
    legacy: k.legacy,
    created_at: k.createdAt,
    created_by: k.createdBy,
    expires_at: k.expiresAt,
    grace_until: k.graceUntil,
    revoked_at: k.revokedAt,
    last_used_at: k.lastUsedAt,
    rotated_to: k.rotatedTo,
  };
}

/** A rotation's result: the new key, and until when the key it replaces keeps working. */
export type RotatedApiKey = IssuedApiKey & { rotatedFrom: string; rotatedFromGraceUntil: string };

export function toIssuedKeyJson(k: IssuedApiKey) {
  return { api_key: k.apiKey, ...toApiKeyJson(k) };
}
