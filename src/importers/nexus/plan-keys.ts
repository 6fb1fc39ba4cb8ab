import { ROLES, type Role } from '../../auth/roles.js';
import { ORG_ID_PATTERN } from '../../ids.js';
import type { ApiKeyRow, ApiKeyStatus, OrgRow } from '../../storage/rows.js';
import { ImportError } from './import-error.js';
import { nexusTimeToIso, optionalNexusTime } from './nexus-time.js';
import type { LegacyApiKey, LegacyOrg } from './read-api-keys.js';

/** Key ids orgvault accepts in its URLs; NEXUS's (22 url-safe base64 characters) fit. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const STATUSES: readonly ApiKeyStatus[] = ['active', 'rotation_pending', 'revoked'];

export function checkOrgId(orgId: string, where: string): void {
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new ImportError(`${where}: org id "${orgId}" does not match ^[a-z0-9][a-z0-9_-]{0,62}$`);
  }
}

/** An org as NEXUS's `organizations` table had it (name, plan, created time kept). */
export function planOrg(o: LegacyOrg): OrgRow {
  const where = `organizations, org "${o.orgId}"`;
  checkOrgId(o.orgId, where);
  const name = o.name.trim();
  if (name === '' || name.length > 200) throw new ImportError(`${where}: name must be 1 to 200 characters`);
  if (o.plan !== null && o.plan.length > 64)
    throw new ImportError(`${where}: plan is longer than 64 characters`);
  return {
    orgId: o.orgId,
    name,
    plan: o.plan,
    createdAt: nexusTimeToIso(o.createdAt, `${where}, created_at`),
  };
}

/**
 * A NEXUS key becomes a legacy orgvault key: same org, role and status; its stored hash (SHA-256
 * of the whole plaintext) is kept so clients keep using the key they hold. A rotation-pending key
 * keeps its grace end (and stops working at it, even if that is already past).
 */
export function planApiKey(k: LegacyApiKey): ApiKeyRow {
  const where = `api_keys, key "${k.keyId}"`;
  if (!KEY_ID.test(k.keyId)) throw new ImportError(`${where}: key id must match ^[A-Za-z0-9_-]{1,64}$`);
  checkOrgId(k.orgId, where);
  if (!(ROLES as readonly string[]).includes(k.role))
    throw new ImportError(`${where}: unknown role "${k.role}"`);
  if (!(STATUSES as readonly string[]).includes(k.status)) {
    throw new ImportError(`${where}: unknown status "${k.status}"`);
  }
  if (!HEX_SHA256.test(k.keyHash)) throw new ImportError(`${where}: key_hash is not a hex SHA-256`);
  if (k.rateLimit !== null && (!Number.isSafeInteger(k.rateLimit) || k.rateLimit <= 0)) {
    throw new ImportError(`${where}: rate_limit must be a positive integer`);
  }
  const status = k.status as ApiKeyStatus;
  return {
    keyId: k.keyId,
    orgId: k.orgId,
    hash: k.keyHash.toLowerCase(),
    legacy: true,
    role: k.role as Role,
    name: k.userId === null ? null : `NEXUS user ${k.userId}`,
    status,
    createdAt: nexusTimeToIso(k.createdAt, `${where}, created_at`),
    createdBy: null,
    expiresAt: null,
    graceUntil:
      status === 'rotation_pending'
        ? optionalNexusTime(k.graceUntil, `${where}, rotation_grace_until`)
        : null,
    // NEXUS did not record when a key was revoked.
    revokedAt: null,
    lastUsedAt: optionalNexusTime(k.lastUsed, `${where}, last_used`),
    rotatedTo: null,
    rateLimitPerMinute: k.rateLimit,
  };
}
