import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from '../errors.js';

/** One Ed25519 key of the audit checkpoints. Only keys with a private half can sign. */
export interface AuditSigningKey {
  /** First 16 hex digits of SHA-256 of the raw 32-byte public key. */
  keyId: string;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
}

export const AUDIT_SIGNING_KEY_FILE = 'audit-signing.key';
const ENV = 'ORGVAULT_AUDIT_SIGNING_KEY';
const SEED_BYTES = 32;
// DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g;

/** The raw 32-byte public key (the tail of its SPKI DER). */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - SEED_BYTES);
}

export function auditKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

function fromPrivate(privateKey: KeyObject, where: string): AuditSigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new VaultError('CONFIG_INVALID', `${where}: an audit signing key must be Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return { keyId: auditKeyId(publicKey), publicKey, privateKey };
}

function parsePem(pem: string, where: string): AuditSigningKey {
  try {
    if (pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
      const publicKey = createPublicKey(pem);
      if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
      return { keyId: auditKeyId(publicKey), publicKey, privateKey: null };
    }
    return fromPrivate(createPrivateKey(pem), where);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError('CONFIG_INVALID', `${where}: not a readable Ed25519 PEM key`);
  }
}

function parseSeed(text: string, where: string): AuditSigningKey {
  const seed = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || seed.length !== SEED_BYTES) {
    throw new VaultError(
      'CONFIG_INVALID',
      `${where}: an audit signing key must be a PKCS#8 PEM or a ${SEED_BYTES}-byte seed in base64`,
    );
  }
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return fromPrivate(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), where);
}

/**
 * Parses ORGVAULT_AUDIT_SIGNING_KEY: one or more keys, newest first, like ORGVAULT_MASTER_KEY. Each
 * entry is a PEM block (PKCS#8 private key, or an SPKI public key to keep verifying checkpoints of a
 * retired key) or a 32-byte base64 seed; seeds are separated by commas or whitespace. The first key
 * signs, every key verifies.
 */
export function parseAuditSigningKeys(value: string): AuditSigningKey[] {
  const keys: AuditSigningKey[] = [];
  const pems = value.match(PEM_BLOCK) ?? [];
  // PEM blocks and seeds keep their order: walk the text, taking a PEM block or a seed at a time.
  let rest = value;
  let n = 0;
  while (rest.trim() !== '') {
    rest = rest.replace(/^[\s,]+/, '');
    n += 1;
    const where = `${ENV} entry ${n}`;
    const pem = pems.find((p) => rest.startsWith(p));
    let key: AuditSigningKey;
    if (pem !== undefined) {
      key = parsePem(pem, where);
      rest = rest.slice(pem.length);
    } else {
      const token = /^[^\s,]+/.exec(rest)?.[0] ?? '';
      key = parseSeed(token, where);
      rest = rest.slice(token.length);
    }
    if (keys.some((k) => k.keyId === key.keyId)) {
      throw new VaultError('CONFIG_INVALID', `${where}: duplicate audit signing key ${key.keyId}`);
    }
    keys.push(key);
    rest = rest.replace(/^[\s,]+/, '');
  }
  if (keys.length === 0) throw new VaultError('CONFIG_INVALID', `${ENV} is empty`);
  if (keys[0]?.privateKey === null) {
    throw new VaultError('CONFIG_INVALID', `${ENV}: the first key signs, so it must be a private key`);
  }
  return keys;
}

export interface AuditSigningKeySource {
  auditSigningKey: string | undefined;
  dataDir: string;
  production: boolean;
  warn?: (message: string) => void;
}

/** Generates the development key file once; a file another process wrote first is kept. */
function ensureKeyFile(file: string, dataDir: string, warn: (m: string) => void): void {
  if (existsSync(file)) {
    warn(`WARNING: ${ENV} is not set; using the development audit signing key in ${file}.`);
    return;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  chmodSync(file, 0o600);
  warn(
    `WARNING: ${ENV} is not set; generated an audit signing key into ${file}. ` +
      `Anyone who can read that file can forge audit checkpoints. Set ${ENV} in production.`,
  );
}

/**
 * The audit signing keys of this process, loaded on first use. The configured value is parsed at
 * once (a bad key fails at start) and production without one refuses to start, like the master key;
 * outside production the key is generated into <dataDir>/audit-signing.key (0600) when first needed,
 * so commands that never sign or verify a checkpoint leave no key file behind.
 */
export class AuditSigningKeys {
  private loaded: AuditSigningKey[] | null;
  private readonly source: AuditSigningKeySource;

  constructor(source: AuditSigningKeySource) {
    this.source = source;
    if (source.auditSigningKey !== undefined) {
      this.loaded = parseAuditSigningKeys(source.auditSigningKey);
    } else if (source.production) {
      throw new VaultError(
        'CONFIG_INVALID',
        `${ENV} is not set and NODE_ENV=production: refusing to start without an audit signing key`,
      );
    } else {
      this.loaded = null;
    }
  }

  /** Every key, newest first: the first signs, all verify. */
  all(): readonly AuditSigningKey[] {
    if (this.loaded === null) {
      const file = join(this.source.dataDir, AUDIT_SIGNING_KEY_FILE);
      const warn = this.source.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
      ensureKeyFile(file, this.source.dataDir, warn);
      this.loaded = parseAuditSigningKeys(readFileSync(file, 'utf8'));
    }
    return this.loaded;
  }

  get signer(): AuditSigningKey {
    return this.all()[0] as AuditSigningKey;
  }

  find(keyId: string): AuditSigningKey | undefined {
    return this.all().find((k) => k.keyId === keyId);
  }
}
