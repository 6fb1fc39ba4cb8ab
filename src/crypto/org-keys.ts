import { randomBytes } from 'node:crypto';
import { VaultError } from '../errors.js';
import { orgScope, type Storage, SYSTEM_SCOPE } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
import { KEY_BYTES } from './aead.js';
import { MasterKeyring } from './master-keyring.js';

export interface DataKey {
  version: number;
  key: Buffer;
}

/** Bound on unwrapped data keys kept in memory (32 bytes each); past it the cache starts over. */
const CACHE_LIMIT = 10_000;

const wrapAad = (orgId: string, version: number, masterKeyId: string) =>
  Buffer.from(`orgvault/dek/v1\0${orgId}\0${version}\0${masterKeyId}`);

/**
 * Envelope encryption: each org has a random data key, stored only wrapped by a master key (with
 * the org, version and master key id as associated data, so a wrapped key copied to another org
 * does not unwrap). Unwrapped keys are cached per process: the unwrap is off the hot path.
 */
export class OrgKeyService {
  private readonly storage: Storage;
  readonly keyring: MasterKeyring;
  private readonly now: () => string;
  private readonly cache = new Map<string, Buffer>();
  private readonly currentVersion = new Map<string, number>();

  constructor(storage: Storage, keyring: MasterKeyring, now: () => string) {
    this.storage = storage;
    this.keyring = keyring;
    this.now = now;
  }

  /**
   * Checks the configured master keys against the database before anything is decrypted:
   * a key whose id is known but whose check value differs is a wrong key; an org key wrapped
   * by a key id that is not configured cannot be read. Both fail here, naming the key id.
   */
  async verifyKeyring(): Promise<void> {
    await this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      for (const mk of this.keyring.keys) {
        const stored = await tx.masterKeys.findMasterKeyCheck(mk.id);
        if (stored === null) {
          await tx.masterKeys.insertMasterKeyCheck({
            keyId: mk.id,
            checkValue: MasterKeyring.checkValue(mk.key),
            createdAt: this.now(),
          });
        } else if (!MasterKeyring.matches(mk.key, stored.checkValue)) {
          throw new VaultError(
            'MASTER_KEY_MISMATCH',
            `master key "${mk.id}" does not match the key this database was written with (wrong ORGVAULT_MASTER_KEY?)`,
          );
        }
      }
      for (const id of await tx.orgKeys.listMasterKeyIdsInUse()) {
        if (!this.keyring.find(id)) {
          throw new VaultError(
            'MASTER_KEY_MISSING',
            `org keys in this database are wrapped by master key "${id}", which is not in ORGVAULT_MASTER_KEY`,
          );
        }
      }
    });
  }

  /** The org's newest data key, created (inside the caller's transaction) on first use. */
  async currentKey(tx: Repositories, orgId: string): Promise<DataKey> {
    const cachedVersion = this.currentVersion.get(orgId);
    if (cachedVersion !== undefined) {
      const key = this.cache.get(`${orgId}\0${cachedVersion}`);
      if (key) return { version: cachedVersion, key };
    }
    let row = await tx.orgKeys.findCurrentOrgKey(orgId);
    if (row === null) {
      const mk = this.keyring.primary;
      const key = randomBytes(KEY_BYTES);
      const candidate = {
        orgId,
        version: 1,
        masterKeyId: mk.id,
        wrapped: this.keyring.wrap(mk.id, key, wrapAad(orgId, 1, mk.id)),
        createdAt: this.now(),
      };
      // A racing creator (another node) may win; then its key is the org's key. The key is cached
      // only once the transaction commits: a cached key that was never stored would seal
      // credentials nobody could open after a restart.
      if (await tx.orgKeys.insertOrgKey(orgId, candidate)) {
        tx.afterCommit(() => this.remember(orgId, 1, key));
        return { version: 1, key };
      }
      row = await tx.orgKeys.findCurrentOrgKey(orgId);
      if (row === null) throw new Error('org key vanished during creation');
    }
    const key = this.unwrapRow(orgId, row.version, row.masterKeyId, row.wrapped);
    // The row may be this very transaction's uncommitted insert: remember it only once committed.
    const version = row.version;
    tx.afterCommit(() => this.remember(orgId, version, key));
    return { version, key };
  }

  /** The data key of a given version if this process has it unwrapped already (no await on the hot path). */
  cachedKeyVersion(orgId: string, version: number): Buffer | undefined {
    return this.cache.get(`${orgId}\0${version}`);
  }

  /** The data key of a given version, for decryption; null when the org has no such key (destroyed). */
  async keyVersion(orgId: string, version: number, reader?: Repositories): Promise<Buffer | null> {
    const cached = this.cachedKeyVersion(orgId, version);
    if (cached) return cached;
    const row = reader
      ? await reader.orgKeys.findOrgKey(orgId, version)
      : await this.storage.read(orgScope(orgId), (r) => r.orgKeys.findOrgKey(orgId, version));
    if (row === null) return null;
    const key = this.unwrapRow(orgId, version, row.masterKeyId, row.wrapped);
    const store = () => {
      if (!this.currentVersion.has(orgId)) this.remember(orgId, version, key);
      else this.cache.set(`${orgId}\0${version}`, key);
    };
    if (reader) reader.afterCommit(store);
    else store();
    return key;
  }

  /** Re-wraps every org key under the newest (first) master key; data keys themselves do not change. */
  async rotateMasterKey(
    onProgress: (done: number, total: number) => void = () => {},
  ): Promise<{ rewrapped: number; masterKeyId: string }> {
    const primary = this.keyring.primary;
    let rewrapped = 0;
    await this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      const rows = await tx.orgKeys.listAllOrgKeys();
      for (const [done, row] of rows.entries()) {
        onProgress(done, rows.length);
        if (row.masterKeyId === primary.id) continue;
        const key = this.unwrapRow(row.orgId, row.version, row.masterKeyId, row.wrapped);
        const wrapped = this.keyring.wrap(primary.id, key, wrapAad(row.orgId, row.version, primary.id));
        await tx.orgKeys.rewrapOrgKey(row.orgId, row.version, primary.id, wrapped);
        rewrapped++;
      }
      onProgress(rows.length, rows.length);
    });
    return { rewrapped, masterKeyId: primary.id };
  }

  /**
   * Destroys an org's data keys (its wrapped DEKs, every version) in a unit of work of its own, and
   * forgets the unwrapped ones: from then on its ciphertexts are unreadable, wherever a copy is.
   * Returns how many keys were destroyed.
   */
  async destroyOrgKeys(orgId: string): Promise<number> {
    const destroyed = await this.storage.transaction(orgScope(orgId), (tx) =>
      tx.orgKeys.deleteOrgKeys(orgId),
    );
    this.forget(orgId);
    return destroyed;
  }

  private forget(orgId: string): void {
    this.currentVersion.delete(orgId);
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${orgId}\0`)) this.cache.delete(key);
  }

  private unwrapRow(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Buffer {
    const key = this.keyring.unwrap(masterKeyId, wrapped, wrapAad(orgId, version, masterKeyId));
    if (key === null) {
      throw new VaultError(
        'DECRYPTION_FAILED',
        `the data key of org "${orgId}" (version ${version}) does not unwrap under master key "${masterKeyId}"`,
      );
    }
    return key;
  }

  private remember(orgId: string, version: number, key: Buffer): void {
    if (this.cache.size >= CACHE_LIMIT) {
      this.cache.clear();
      this.currentVersion.clear();
    }
    this.cache.set(`${orgId}\0${version}`, key);
    const current = this.currentVersion.get(orgId);
    if (current === undefined || version > current) this.currentVersion.set(orgId, version);
  }
}
