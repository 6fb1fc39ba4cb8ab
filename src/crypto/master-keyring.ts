import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from '../errors.js';
import { ensurePrivateDir } from '../private-files.js';
import { KEY_BYTES, open, seal } from './aead.js';

export interface MasterKey {
  id: string;
  key: Buffer;
}

const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const CHECK_LABEL = Buffer.from('orgvault master key check v1');

/** A key given without an id is named after a fingerprint of itself, so a different key gets a different id. */
export function fingerprintKeyId(key: Buffer): string {
  return `mk-${createHash('sha256').update('orgvault-key-id\0').update(key).digest('hex').slice(0, 12)}`;
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || key.length !== KEY_BYTES) {
    throw new VaultError('CONFIG_INVALID', `${where}: a master key must be 32 bytes in base64`);
  }
  return key;
}

/**
 * Parses ORGVAULT_MASTER_KEY: a comma-separated list, newest first, each entry `id:base64` or just
 * `base64`. The first key wraps new org keys; the others only unwrap, until rotation re-wraps them.
 */
export function parseMasterKeys(value: string): MasterKey[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new VaultError('CONFIG_INVALID', 'ORGVAULT_MASTER_KEY is empty');
  const keys: MasterKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const where = `ORGVAULT_MASTER_KEY entry ${i + 1}`;
    const id = colon >= 0 ? entry.slice(0, colon) : undefined;
    if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
      throw new VaultError('CONFIG_INVALID', `${where}: key id must match ${KEY_ID_PATTERN.source}`);
    }
    const key = decodeKey(colon >= 0 ? entry.slice(colon + 1) : entry, where);
    const keyId = id ?? fingerprintKeyId(key);
    if (keys.some((k) => k.id === keyId))
      throw new VaultError('CONFIG_INVALID', `${where}: duplicate key id ${keyId}`);
    keys.push({ id: keyId, key });
  });
  return keys;
}

export interface KeyringSource {
  masterKey: string | undefined;
  dataDir: string;
  production: boolean;
  /** Where the loud warning goes; defaults to stderr. */
  warn?: (message: string) => void;
}

/**
 * Loads the master keys from configuration. Without ORGVAULT_MASTER_KEY, outside production, a key is
 * generated once into <dataDir>/master.key (0600) and reused; in production the process refuses.
 * There is no built-in or fallback key anywhere.
 */
export function loadMasterKeys(source: KeyringSource): MasterKey[] {
  if (source.masterKey !== undefined) return parseMasterKeys(source.masterKey);
  if (source.production) {
    throw new VaultError(
      'MASTER_KEY_MISSING',
      'ORGVAULT_MASTER_KEY is not set and NODE_ENV=production: refusing to start without a master key',
    );
  }
  const file = join(source.dataDir, 'master.key');
  const warn = source.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  ensurePrivateDir(source.dataDir, { warn });
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    warn(
      `WARNING: ORGVAULT_MASTER_KEY is not set; generated a master key into ${file}. ` +
        'Anyone who can read that file can decrypt every credential. Set ORGVAULT_MASTER_KEY in production.',
    );
  } else {
    warn(`WARNING: ORGVAULT_MASTER_KEY is not set; using the development master key in ${file}.`);
  }
  return parseMasterKeys(readFileSync(file, 'utf8').trim());
}

/** The master keys in force, and the operations that need them. */
export class MasterKeyring {
  readonly keys: readonly MasterKey[];

  constructor(keys: MasterKey[]) {
    if (keys.length === 0) throw new VaultError('MASTER_KEY_MISSING', 'no master key configured');
    this.keys = keys;
  }

  get primary(): MasterKey {
    return this.keys[0] as MasterKey;
  }

  find(id: string): MasterKey | undefined {
    return this.keys.find((k) => k.id === id);
  }

  /** A value stored beside the key id, to tell a wrong key from a right one at open. */
  static checkValue(key: Buffer): Buffer {
    return createHmac('sha256', key).update(CHECK_LABEL).digest();
  }

  static matches(key: Buffer, stored: Buffer): boolean {
    const expected = MasterKeyring.checkValue(key);
    return stored.length === expected.length && timingSafeEqual(stored, expected);
  }

  wrap(masterKeyId: string, dataKey: Buffer, aad: Buffer): Buffer {
    const mk = this.require(masterKeyId);
    const { nonce, ciphertext } = seal(mk.key, dataKey, aad);
    return Buffer.concat([nonce, ciphertext]);
  }

  unwrap(masterKeyId: string, wrapped: Buffer, aad: Buffer): Buffer | null {
    const mk = this.require(masterKeyId);
    return open(mk.key, wrapped.subarray(0, 12), wrapped.subarray(12), aad);
  }

  private require(id: string): MasterKey {
    const mk = this.find(id);
    if (!mk) {
      throw new VaultError(
        'MASTER_KEY_MISSING',
        `data is wrapped by master key "${id}", which is not in ORGVAULT_MASTER_KEY`,
      );
    }
    return mk;
  }
}
