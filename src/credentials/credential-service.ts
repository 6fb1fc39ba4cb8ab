import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { open, seal } from '../crypto/aead.js';
import type { OrgKeyService } from '../crypto/org-keys.js';
import { VaultError } from '../errors.js';
import { assertModuleId, assertOrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import { type CredentialRow, orgScope, type Repositories, type Storage } from '../storage/types.js';
import { type CredentialValues, checkAgainstManifest, parseCredentialValues } from './credential-values.js';

/** What may be shown about stored credentials: names and times, never values. */
export interface CredentialMetadata {
  moduleId: string;
  fields: string[];
  createdAt: string;
  updatedAt: string;
}

/** Associated data: a ciphertext only opens for the org, module and key version it was sealed for. */
export const credentialAad = (orgId: string, moduleId: string, keyVersion: number) =>
  Buffer.from(`orgvault/credential/v1\0${orgId}\0${moduleId}\0${keyVersion}`);

/**
 * The credential store: values are sealed with AES-256-GCM under the org's data key before they
 * reach storage, and opened only on retrieve (by the caller or the agent runtime).
 */
export class CredentialService {
  private readonly storage: Storage;
  private readonly orgs: OrgDirectory;
  private readonly orgKeys: OrgKeyService;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(deps: {
    storage: Storage;
    orgs: OrgDirectory;
    orgKeys: OrgKeyService;
    audit: AuditLog;
    clock: Clock;
  }) {
    this.storage = deps.storage;
    this.orgs = deps.orgs;
    this.orgKeys = deps.orgKeys;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  /** Stores (or replaces) a module's credentials; NOT_FOUND when the module is not installed in this org. */
  async store(
    orgId: string,
    moduleId: string,
    input: unknown,
    actor: ActorContext,
  ): Promise<'created' | 'replaced'> {
    assertOrgId(orgId);
    assertModuleId(moduleId);
    const values = parseCredentialValues(input);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const module = await tx.modules.findModule(orgId, moduleId);
      if (module === null) throw notFound(moduleId);
      checkAgainstManifest(values, module.manifest);
      const result = await this.sealAndWrite(tx, orgId, moduleId, values);
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'credentials.store',
          targetType: 'module',
          targetId: moduleId,
          details: { fields: Object.keys(values).sort(), result },
        },
        isoNow(this.clock),
      );
      return result;
    });
  }

  /** Seal and upsert inside an open transaction (also used by the NEXUS importer, which keeps both times). */
  async sealAndWrite(
    tx: Repositories,
    orgId: string,
    moduleId: string,
    values: CredentialValues,
    createdAt?: string,
    updatedAt?: string,
  ): Promise<'created' | 'replaced'> {
    const dataKey = await this.orgKeys.currentKey(tx, orgId);
    const sealed = seal(
      dataKey.key,
      Buffer.from(JSON.stringify(values)),
      credentialAad(orgId, moduleId, dataKey.version),
    );
    return tx.credentials.upsertCredential(orgId, {
      moduleId,
      keyVersion: dataKey.version,
      nonce: sealed.nonce,
      ciphertext: sealed.ciphertext,
      fieldNames: Object.keys(values).sort(),
      now: updatedAt ?? isoNow(this.clock),
      ...(createdAt !== undefined ? { createdAt } : {}),
    });
  }

  /** The decrypted credentials, or null when none are stored for this module in this org. */
  async retrieve(orgId: string, moduleId: string): Promise<CredentialValues | null> {
    assertOrgId(orgId);
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    const row = await this.storage.read(orgScope(orgId), (r) =>
      r.credentials.findCredential(orgId, moduleId),
    );
    return row === null ? null : this.decrypt(row);
  }

  async has(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.metadata(orgId, moduleId)) !== null;
  }

  async metadata(orgId: string, moduleId: string): Promise<CredentialMetadata | null> {
    assertOrgId(orgId);
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    const row = await this.storage.read(orgScope(orgId), (r) =>
      r.credentials.findCredential(orgId, moduleId),
    );
    if (row === null) return null;
    return { moduleId, fields: row.fieldNames, createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  async delete(orgId: string, moduleId: string, actor: ActorContext): Promise<boolean> {
    assertOrgId(orgId);
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const removed = await tx.credentials.deleteCredential(orgId, moduleId);
      if (removed) {
        await this.audit.append(
          tx,
          orgId,
          actor,
          { action: 'credentials.delete', targetType: 'module', targetId: moduleId },
          isoNow(this.clock),
        );
      }
      return removed;
    });
  }

  async listModuleIds(orgId: string): Promise<string[]> {
    assertOrgId(orgId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), (r) => r.credentials.listCredentialModuleIds(orgId));
  }

  /** Opens a stored row; a row moved to another org or module, or altered, fails here and never yields a value. */
  async decrypt(row: CredentialRow): Promise<CredentialValues> {
    const key = await this.orgKeys.keyVersion(row.orgId, row.keyVersion);
    const plain =
      key === null
        ? null
        : open(key, row.nonce, row.ciphertext, credentialAad(row.orgId, row.moduleId, row.keyVersion));
    if (plain === null) {
      throw new VaultError(
        'DECRYPTION_FAILED',
        `credentials of module "${row.moduleId}" in org "${row.orgId}" cannot be decrypted: altered, moved from another org or module, or the org key is gone`,
      );
    }
    return JSON.parse(plain.toString('utf8')) as CredentialValues;
  }
}

function notFound(moduleId: string): VaultError {
  return new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);
}
