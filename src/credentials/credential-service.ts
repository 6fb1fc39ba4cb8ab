import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { open, seal } from '../crypto/aead.js';
import type { OrgKeyService } from '../crypto/org-keys.js';
import { VaultError } from '../errors.js';
import { assertModuleId, type OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { CredentialRow, ModuleRow, SealedCredential } from '../storage/rows.js';
import { orgScope, type Storage, SYSTEM_SCOPE } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
import { destinationDigest } from './credential-destination.js';
import { type CredentialValues, checkAgainstManifest, parseCredentialValues } from './credential-values.js';

/** What may be shown about stored credentials: names and times, never values. */
export interface CredentialMetadata {
  moduleId: string;
  fields: string[];
  createdAt: string;
  updatedAt: string;
}

export type DeletedHook = (
  manifest: Record<string, unknown>,
  moduleId: string,
  values: CredentialValues,
) => Promise<unknown>;

/** What a delete keeps for the revoke hook it calls after commit. */
export interface HeldForRevoke {
  manifest: Record<string, unknown>;
  values: CredentialValues;
}

/** The associated-data layout every new seal uses (see CredentialRow.aadVersion). */
export const CURRENT_AAD_VERSION = 2;

/**
 * Associated data: a ciphertext only opens for the org, module, key version and destination it
 * was sealed for (the destination digest comes from the module's manifest, see
 * credential-destination.ts).
 */
export const credentialAad = (
  orgId: string,
  moduleId: string,
  keyVersion: number,
  manifest: Record<string, unknown>,
) =>
  Buffer.from(`orgvault/credential/v2\0${orgId}\0${moduleId}\0${keyVersion}\0${destinationDigest(manifest)}`);

/** The layout before destinations were bound: read once, by the upgrade at open, never by retrieve. */
const legacyAad = (orgId: string, moduleId: string, keyVersion: number) =>
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
  private deleted: DeletedHook | null = null;

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
    orgId: OrgId,
    moduleId: string,
    input: unknown,
    actor: ActorContext,
  ): Promise<'created' | 'replaced'> {
    assertModuleId(moduleId);
    const values = parseCredentialValues(input);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const found = await tx.modules.findManifestForWrite(orgId, moduleId);
      if (found === null) throw notFound(moduleId);
      checkAgainstManifest(values, found.manifest);
      // One time for the row and its audit event.
      const now = isoNow(this.clock);
      const result = await this.sealAndWrite(tx, orgId, moduleId, values, found.manifest, {
        updatedAt: now,
        existed: found.hasCredential,
      });
      // New credentials replace any OAuth2 tokens sealed with the old ones: the connection is gone.
      // (Only a module with an oauth2 section can have one: no extra statement for the others.)
      if (found.manifest.oauth2 !== undefined) await tx.oauth.deleteOAuthConnection(orgId, moduleId);
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
        now,
      );
      return result;
    });
  }

  /**
   * Seal for the destination of `manifest` and upsert, inside an open transaction (also used by the
   * NEXUS importer, which keeps both times, and by a module reinstall that moves the destination).
   */
  async sealAndWrite(
    tx: Repositories,
    orgId: string,
    moduleId: string,
    values: CredentialValues,
    manifest: Record<string, unknown>,
    times: { createdAt?: string; updatedAt?: string; existed?: boolean } = {},
  ): Promise<'created' | 'replaced'> {
    const { createdAt, updatedAt, existed } = times;
    const dataKey = await this.orgKeys.currentKey(tx, orgId);
    const sealed = seal(
      dataKey.key,
      Buffer.from(JSON.stringify(values)),
      credentialAad(orgId, moduleId, dataKey.version, manifest),
    );
    return tx.credentials.upsertCredential(orgId, {
      moduleId,
      keyVersion: dataKey.version,
      aadVersion: CURRENT_AAD_VERSION,
      nonce: sealed.nonce,
      ciphertext: sealed.ciphertext,
      fieldNames: Object.keys(values).sort(),
      now: updatedAt ?? isoNow(this.clock),
      ...(createdAt !== undefined ? { createdAt } : {}),
      ...(existed !== undefined ? { existed } : {}),
    });
  }

  /** The decrypted credentials, or null when none are stored for this module in this org. */
  async retrieve(orgId: OrgId, moduleId: string): Promise<CredentialValues | null> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    const found = await this.storage.read(orgScope(orgId), (r) =>
      r.credentials.findCredentialWithManifest(orgId, moduleId),
    );
    return found === null ? null : this.decrypt(found.row, found.manifest);
  }

  /**
   * The credentials of a module row the caller already read (the agent runtime), opened for that
   * row's manifest: exactly the destination the call is about to be sent to.
   */
  async retrieveFor(module: ModuleRow): Promise<CredentialValues | null> {
    const row = await this.storage.read(orgScope(module.orgId), (r) =>
      r.credentials.findCredential(module.orgId, module.moduleId),
    );
    return row === null ? null : this.decrypt(row, module.manifest);
  }

  /**
   * Inside an open transaction (the OAuth2 token broker, which holds the connection's lock): the
   * credentials of `module` as they are now, opened for its manifest; null when none are stored.
   */
  async retrieveIn(tx: Repositories, module: ModuleRow): Promise<CredentialValues | null> {
    return (await this.retrieveStamped(tx, module))?.values ?? null;
  }

  /**
   * As retrieveIn, with a stamp of the stored row that changes with every write of it (each seal
   * draws a fresh nonce): the token broker compares it when it writes, to tell whether anything
   * (an owner's replace or delete, another node's renewal) wrote the credentials after it read them.
   */
  async retrieveStamped(
    reader: Repositories,
    module: ModuleRow,
  ): Promise<{ values: CredentialValues; stamp: string } | null> {
    const row = await reader.credentials.findCredential(module.orgId, module.moduleId);
    if (row === null) return null;
    return { values: await this.decrypt(row, module.manifest, reader), stamp: stampOf(row) };
  }

  /** The stamp of the stored row now (see retrieveStamped), null when none is stored; nothing decrypted. */
  async stampIn(tx: Repositories, orgId: string, moduleId: string): Promise<string | null> {
    const row = await tx.credentials.findCredential(orgId, moduleId);
    return row === null ? null : stampOf(row);
  }

  /**
   * Inside a module reinstall whose destination changes: opens the stored credentials for the old
   * manifest and seals them for the new one (times and field names kept). False when none are stored.
   * The caller has already checked that its actor may move credentials (manage_credentials).
   */
  async resealForDestination(
    tx: Repositories,
    orgId: string,
    moduleId: string,
    from: Record<string, unknown>,
    to: Record<string, unknown>,
  ): Promise<boolean> {
    const row = await tx.credentials.findCredential(orgId, moduleId);
    if (row === null) return false;
    const values = await this.decrypt(row, from, tx);
    await this.sealAndWrite(tx, orgId, moduleId, values, to, {
      createdAt: row.createdAt,
      updatedAt: isoNow(this.clock),
      existed: true,
    });
    return true;
  }

  /**
   * System, once per open: rows sealed before destinations were bound (associated-data layout 1)
   * are opened with the old layout and sealed for their module's present destination. A row that
   * does not open is left as it is; retrieving it fails with DECRYPTION_FAILED, as any altered row.
   */
  async upgradeLegacySeals(): Promise<{ upgraded: number; unreadable: number }> {
    const counts = { upgraded: 0, unreadable: 0 };
    await this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      for (const row of await tx.credentials.listCredentialsSealedBefore(CURRENT_AAD_VERSION)) {
        const key = await this.orgKeys.keyVersion(row.orgId, row.keyVersion, tx);
        const plain =
          key === null
            ? null
            : open(key, row.nonce, row.ciphertext, legacyAad(row.orgId, row.moduleId, row.keyVersion));
        const module = await tx.modules.findModule(row.orgId, row.moduleId);
        if (plain === null || module === null) {
          counts.unreadable++;
          continue;
        }
        const values = JSON.parse(plain.toString('utf8')) as CredentialValues;
        await this.sealAndWrite(tx, row.orgId, row.moduleId, values, module.manifest, {
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
          existed: true,
        });
        counts.upgraded++;
      }
    });
    return counts;
  }

  async has(orgId: OrgId, moduleId: string): Promise<boolean> {
    return (await this.metadata(orgId, moduleId)) !== null;
  }

  async metadata(orgId: OrgId, moduleId: string): Promise<CredentialMetadata | null> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    const row = await this.storage.read(orgScope(orgId), (r) =>
      r.credentials.findCredential(orgId, moduleId),
    );
    if (row === null) return null;
    return { moduleId, fields: row.fieldNames, createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  /**
   * Called after credentials were deleted, with what they held (the OAuth2 service revokes the
   * grant at the provider). Set once, when the vault is built.
   */
  onDeleted(hook: DeletedHook): void {
    this.deleted = hook;
  }

  async delete(orgId: OrgId, moduleId: string, actor: ActorContext): Promise<boolean> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    let held: HeldForRevoke | null = null;
    const removed = await this.storage.transaction(orgScope(orgId), async (tx) => {
      held = await this.takeForDelete(tx, orgId, moduleId);
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
    if (removed) await this.afterDelete(moduleId, held);
    return removed;
  }

  /**
   * The first step of every credential delete (this one, a module uninstall), inside its
   * transaction: locks the module row, which the OAuth2 token broker also locks to write renewed
   * tokens, so a renewal in flight cannot write the credentials back after they are gone. Returns
   * what the revoke hook will need after commit (an OAuth2 module whose credentials open), else null.
   */
  async takeForDelete(tx: Repositories, orgId: string, moduleId: string): Promise<HeldForRevoke | null> {
    const manifest = await tx.modules.lockManifest(orgId, moduleId);
    // Only an OAuth2 module has anything to revoke; one that does not open has nothing usable.
    if (this.deleted === null || manifest === null || manifest.oauth2 === undefined) return null;
    // Read after the lock, in a statement of its own (see module-service.ts install).
    const row = await tx.credentials.findCredential(orgId, moduleId);
    if (row === null) return null;
    const values = await this.decrypt(row, manifest, tx).catch(() => null);
    return values === null ? null : { manifest, values };
  }

  /** After the delete committed: the revoke hook, best effort (a failure changes nothing here). */
  async afterDelete(moduleId: string, held: HeldForRevoke | null): Promise<void> {
    if (held === null || this.deleted === null) return;
    await this.deleted(held.manifest, moduleId, held.values).catch(() => false);
  }

  async listModuleIds(orgId: OrgId): Promise<string[]> {
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), (r) => r.credentials.listCredentialModuleIds(orgId));
  }

  /**
   * Opens a stored row for the destination of `manifest`; a row moved to another org or module,
   * altered, or whose module now points elsewhere than it was sealed for, fails here and never
   * yields a value.
   */
  private async decrypt(
    row: SealedCredential,
    manifest: Record<string, unknown>,
    reader?: Repositories,
  ): Promise<CredentialValues> {
    const key =
      row.aadVersion === CURRENT_AAD_VERSION
        ? await this.orgKeys.keyVersion(row.orgId, row.keyVersion, reader)
        : null;
    const plain =
      key === null
        ? null
        : open(
            key,
            row.nonce,
            row.ciphertext,
            credentialAad(row.orgId, row.moduleId, row.keyVersion, manifest),
          );
    if (plain === null) {
      throw new VaultError(
        'DECRYPTION_FAILED',
        `credentials of module "${row.moduleId}" in org "${row.orgId}" cannot be decrypted: altered, moved from another org or module, sealed for another destination than the module's manifest now names (changed outside orgvault?), or the org key is gone; store them again`,
      );
    }
    return JSON.parse(plain.toString('utf8')) as CredentialValues;
  }
}

const stampOf = (row: CredentialRow): string => `${row.updatedAt}/${row.nonce.toString('base64')}`;

function notFound(moduleId: string): VaultError {
  return new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);
}
