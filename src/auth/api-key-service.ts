import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { VaultError } from '../errors.js';
import type { OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { ApiKeyRow } from '../storage/rows.js';
import { AUTH_SCOPE, orgScope, type Storage } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
import { ANY_KEY_ID_PATTERN, generateApiKey } from './api-key-format.js';
import {
  type ApiKeyInfo,
  type IssuedApiKey,
  type RotatedApiKey,
  toApiKeyInfo,
  unusableReason,
} from './api-key-info.js';
import { isRole, roleAtMost } from './permissions.js';
import type { Role } from './roles.js';

export interface CreateKeyInput {
  role: Role | string;
  name?: string | null | undefined;
  /** ISO-8601 time or Date; must lie in the future. */
  expiresAt?: string | Date | null | undefined;
}

export interface RotateOptions {
  /** How long the old key keeps working; default 24 h, at most 30 days. */
  graceSeconds?: number | undefined;
}

export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;
export const MAX_GRACE_SECONDS = 30 * 24 * 60 * 60;

/**
 * API key management for one org at a time: create, list, rotate, revoke. The ceiling is the role of
 * the calling key (`actor.role`, HTTP): a caller never grants, rotates or revokes a key above its own
 * role, since rotating a stronger key would hand the caller that key's power. The library and the
 * local CLI act with no role, hence no ceiling.
 */
export class ApiKeyService {
  private readonly storage: Storage;
  private readonly orgs: OrgDirectory;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(deps: { storage: Storage; orgs: OrgDirectory; audit: AuditLog; clock: Clock }) {
    this.storage = deps.storage;
    this.orgs = deps.orgs;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  async create(orgId: OrgId, input: CreateKeyInput, actor: ActorContext): Promise<IssuedApiKey> {
    const ceiling = actor.role ?? undefined;
    const { role, name, expiresAt } = this.parseCreate(input);
    if (ceiling !== undefined && !roleAtMost(role, ceiling)) {
      throw new VaultError('FORBIDDEN', `role ${ceiling} cannot create a key with role ${role}`);
    }
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const parentEnd = await this.actorEnd(tx, orgId, actor);
      if (parentEnd !== null && expiresAt !== null && expiresAt > parentEnd) {
        throw new VaultError(
          'VALIDATION_FAILED',
          `expires_at must not be later than the end of the key creating it (${parentEnd})`,
          { field: 'expires_at' },
        );
      }
      const issued = await this.issueIn(tx, orgId, { role, name, expiresAt: expiresAt ?? parentEnd }, actor);
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'api_key.create',
          targetType: 'api_key',
          targetId: issued.keyId,
          details: { role, name, expires_at: expiresAt },
        },
        issued.createdAt,
      );
      return issued;
    });
  }

  /**
   * When the acting key stops working: its expiry, or the end of its rotation grace, whichever
   * comes first. A key never creates a key that outlives it, or a short-lived key (or one in its
   * grace period) could mint itself a permanent successor. Null: no end, or no key (library, CLI).
   */
  private async actorEnd(tx: Repositories, orgId: string, actor: ActorContext): Promise<string | null> {
    if (actor.actorKeyId === null) return null;
    const key = await tx.apiKeys.findApiKey(orgId, actor.actorKeyId);
    if (key === null) return null;
    return earliest(key.expiresAt, key.status === 'rotation_pending' ? key.graceUntil : null);
  }

  /** Inserts a new key inside an open transaction (also bootstrap and org creation); no audit row. */
  async issueIn(
    tx: Repositories,
    orgId: string,
    input: { role: Role; name: string | null; expiresAt: string | null },
    actor: ActorContext,
  ): Promise<IssuedApiKey> {
    const now = isoNow(this.clock);
    const generated = generateApiKey();
    const row: ApiKeyRow = {
      keyId: generated.keyId,
      orgId,
      hash: generated.hash,
      legacy: false,
      role: input.role,
      name: input.name,
      status: 'active',
      createdAt: now,
      createdBy: actor.actorKeyId,
      expiresAt: input.expiresAt,
      graceUntil: null,
      revokedAt: null,
      lastUsedAt: null,
      rotatedTo: null,
      rateLimitPerMinute: null,
    };
    await tx.apiKeys.insertApiKey(orgId, row);
    await tx.apiKeys.markApiKeyIssued(now);
    return { apiKey: generated.apiKey, ...toApiKeyInfo(row, now) };
  }

  async list(orgId: OrgId): Promise<ApiKeyInfo[]> {
    await this.orgs.require(orgId);
    const rows = await this.storage.read(orgScope(orgId), (r) => r.apiKeys.listApiKeys(orgId));
    const now = isoNow(this.clock);
    return rows.map((row) => toApiKeyInfo(row, now));
  }

  /** Local CLI only: which org holds this key id (`keys revoke <key_id>` names no org). */
  async findOrgOfKey(keyId: string): Promise<string | null> {
    if (!ANY_KEY_ID_PATTERN.test(keyId)) return null;
    const row = await this.storage.read(AUTH_SCOPE, (r) => r.apiKeys.findApiKeyForAuth(keyId));
    return row?.orgId ?? null;
  }

  async get(orgId: OrgId, keyId: string): Promise<ApiKeyInfo | null> {
    if (!ANY_KEY_ID_PATTERN.test(keyId)) return null;
    await this.orgs.require(orgId);
    const row = await this.storage.read(orgScope(orgId), (r) => r.apiKeys.findApiKey(orgId, keyId));
    return row === null ? null : toApiKeyInfo(row, isoNow(this.clock));
  }

  /**
   * A new key with the old key's role (and name and expiry); the old one keeps working until
   * grace_until. Null when the key is not in this org (another org's key is simply absent).
   */
  async rotate(
    orgId: OrgId,
    keyId: string,
    options: RotateOptions,
    actor: ActorContext,
  ): Promise<RotatedApiKey | null> {
    const ceiling = actor.role ?? undefined;
    const graceSeconds = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
      throw new VaultError(
        'VALIDATION_FAILED',
        `grace_seconds must be an integer from 0 to ${MAX_GRACE_SECONDS}`,
        {
          field: 'grace_seconds',
        },
      );
    }
    if (!ANY_KEY_ID_PATTERN.test(keyId)) return null;
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const old = await tx.apiKeys.findApiKey(orgId, keyId);
      if (old === null) return null;
      if (ceiling !== undefined && !roleAtMost(old.role, ceiling)) {
        throw new VaultError('FORBIDDEN', `role ${ceiling} cannot rotate a key with role ${old.role}`);
      }
      const now = isoNow(this.clock);
      if (old.status !== 'active' || unusableReason(old, now) !== null) {
        throw new VaultError('CONFLICT', 'only an active key can be rotated');
      }
      // The successor of a key that rotates itself may outlive the grace (that is what rotation is
      // for) but not the key's own expiry; rotated by another key, it ends when that key ends.
      const actorEnd = actor.actorKeyId === keyId ? old.expiresAt : await this.actorEnd(tx, orgId, actor);
      const issued = await this.issueIn(
        tx,
        orgId,
        { role: old.role, name: old.name, expiresAt: earliest(old.expiresAt, actorEnd) },
        actor,
      );
      const graceUntil = new Date(this.clock().getTime() + graceSeconds * 1000).toISOString();
      if (!(await tx.apiKeys.markApiKeyRotated(orgId, keyId, issued.keyId, graceUntil))) {
        throw new VaultError('CONFLICT', 'only an active key can be rotated');
      }
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'api_key.rotate',
          targetType: 'api_key',
          targetId: keyId,
          details: { new_key_id: issued.keyId, role: old.role, grace_until: graceUntil },
        },
        now,
      );
      return { ...issued, rotatedFrom: keyId, rotatedFromGraceUntil: graceUntil };
    });
  }

  /** Revokes at once. False when the key is not in this org; revoking a revoked key changes nothing. */
  async revoke(orgId: OrgId, keyId: string, actor: ActorContext): Promise<boolean> {
    const ceiling = actor.role ?? undefined;
    if (!ANY_KEY_ID_PATTERN.test(keyId)) return false;
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const row = await tx.apiKeys.findApiKey(orgId, keyId);
      if (row === null) return false;
      if (ceiling !== undefined && !roleAtMost(row.role, ceiling)) {
        throw new VaultError('FORBIDDEN', `role ${ceiling} cannot revoke a key with role ${row.role}`);
      }
      const now = isoNow(this.clock);
      if (await tx.apiKeys.revokeApiKey(orgId, keyId, now)) {
        await this.audit.append(
          tx,
          orgId,
          actor,
          { action: 'api_key.revoke', targetType: 'api_key', targetId: keyId, details: { role: row.role } },
          now,
        );
      }
      return true;
    });
  }

  private parseCreate(input: CreateKeyInput): { role: Role; name: string | null; expiresAt: string | null } {
    if (input === null || typeof input !== 'object') {
      throw new VaultError('VALIDATION_FAILED', 'expected {role, name?, expiresAt?}');
    }
    if (!isRole(input.role)) {
      throw new VaultError('VALIDATION_FAILED', 'role must be one of viewer, operator, admin, owner', {
        field: 'role',
      });
    }
    const name = input.name ?? null;
    if (name !== null && (typeof name !== 'string' || name.length > 200 || /\p{Cc}/u.test(name))) {
      throw new VaultError('VALIDATION_FAILED', 'name must be a string of at most 200 printable characters', {
        field: 'name',
      });
    }
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      const at = input.expiresAt instanceof Date ? input.expiresAt : new Date(String(input.expiresAt));
      if (
        Number.isNaN(at.getTime()) ||
        (typeof input.expiresAt === 'string' && !/^\d{4}-\d\d-\d\dT/.test(input.expiresAt))
      ) {
        throw new VaultError('VALIDATION_FAILED', 'expires_at must be an ISO-8601 time', {
          field: 'expires_at',
        });
      }
      if (at.getTime() <= this.clock().getTime()) {
        throw new VaultError('VALIDATION_FAILED', 'expires_at must lie in the future', {
          field: 'expires_at',
        });
      }
      expiresAt = at.toISOString();
    }
    return { role: input.role, name, expiresAt };
  }
}

/** The earlier of two ISO-8601 UTC times (all written by toISOString, so text order is time order). */
function earliest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}
