import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A reader for Fernet tokens (https://github.com/fernet/spec), the format NEXUS encrypted
 * credentials with. Read-only on purpose: orgvault never writes Fernet, it re-encrypts under its
 * own envelope.
 *
 * Token: base64url( 0x80 | timestamp (8 bytes, big-endian) | IV (16) | AES-128-CBC ciphertext | HMAC-SHA256 (32) ),
 * the HMAC covering everything before it. Key: base64url of 32 bytes, signing key then encryption key.
 */

const VERSION = 0x80;
const HEADER_BYTES = 1 + 8 + 16;
const HMAC_BYTES = 32;
const BLOCK_BYTES = 16;

/** Why a token was refused. Never carries key or plaintext material. */
export type FernetFailure = 'malformed' | 'unsupported_version' | 'bad_signature' | 'bad_padding';

export class FernetError extends Error {
  readonly reason: FernetFailure;
  constructor(reason: FernetFailure, message: string) {
    super(message);
    this.name = 'FernetError';
    this.reason = reason;
  }
}

export interface FernetKey {
  signingKey: Buffer;
  encryptionKey: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Strict base64url: Python's urlsafe_b64decode accepts padding, so do we; anything else is malformed. */
function decodeBase64Url(text: string, what: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64URL.test(trimmed) || trimmed.replace(/=+$/, '').length % 4 === 1) {
    throw new FernetError('malformed', `${what} is not url-safe base64`);
  }
  return Buffer.from(trimmed, 'base64url');
}

/** Parses a Fernet key (url-safe base64 of 32 bytes). */
export function parseFernetKey(text: string): FernetKey {
  const raw = decodeBase64Url(text, 'Fernet key');
  if (raw.length !== 32) {
    throw new FernetError('malformed', `Fernet key must decode to 32 bytes, got ${raw.length}`);
  }
  return { signingKey: raw.subarray(0, 16), encryptionKey: raw.subarray(16) };
}

/** The same key, derived from a passphrase the way NEXUS derived its public development key. */
export function fernetKeyFromSha256(passphrase: string): string {
  return createHash('sha256').update(passphrase, 'utf8').digest('base64url').concat('=');
}

export interface FernetPlaintext {
  /** Seconds since the epoch, from the token (when it was made). */
  timestamp: number;
  plaintext: Buffer;
}

/**
 * Verifies then decrypts a token. The HMAC is checked in constant time before any decryption,
 * so a forged token never reaches the cipher. Throws FernetError for anything that is not a
 * valid token under this key.
 */
export function decryptFernet(key: FernetKey, token: string): FernetPlaintext {
  const data = decodeBase64Url(token, 'Fernet token');
  if (data.length < HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES) {
    throw new FernetError('malformed', 'Fernet token is too short');
  }
  if ((data.length - HEADER_BYTES - HMAC_BYTES) % BLOCK_BYTES !== 0) {
    throw new FernetError('malformed', 'Fernet ciphertext is not a whole number of AES blocks');
  }
  if (data[0] !== VERSION) {
    throw new FernetError(
      'unsupported_version',
      `unsupported Fernet version 0x${(data[0] ?? 0).toString(16).padStart(2, '0')} (expected 0x80)`,
    );
  }
  const signed = data.subarray(0, data.length - HMAC_BYTES);
  const mac = data.subarray(data.length - HMAC_BYTES);
  const expected = createHmac('sha256', key.signingKey).update(signed).digest();
  if (!timingSafeEqual(mac, expected)) {
    throw new FernetError('bad_signature', 'Fernet token signature does not verify under this key');
  }
  const timestamp = Number(data.readBigUInt64BE(1));
  const iv = data.subarray(9, HEADER_BYTES);
  const ciphertext = signed.subarray(HEADER_BYTES);
  try {
    const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, iv);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { timestamp, plaintext };
  } catch {
    // Only reachable with a valid HMAC, i.e. a token signed by the key holder with bad padding.
    throw new FernetError('bad_padding', 'Fernet plaintext padding is invalid');
  }
}
