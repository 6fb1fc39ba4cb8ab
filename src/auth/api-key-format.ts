import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of every key orgvault issues; keys without it are NEXUS-era (legacy) keys. */
export const KEY_PREFIX = 'ovk_';
/** Key ids orgvault issues: 16 hex characters (no `_`, so the id ends at the first one). */
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
/** Ids accepted in URLs: issued ids and whatever an importer carried over from NEXUS. */
export const ANY_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest header value we even look at; anything longer is not a key. */
export const MAX_KEY_LENGTH = 512;

export interface GeneratedKey {
  keyId: string;
  /** The full key, `ovk_<keyId>_<secret>`: shown once, never stored. */
  apiKey: string;
  /** Hex SHA-256 of the secret part: what storage keeps. */
  hash: string;
}

export type ParsedKey =
  | { kind: 'ovk'; keyId: string; secret: string }
  | { kind: 'legacy'; plaintext: string }
  | { kind: 'malformed' };

// One-shot crypto.hash (Node >= 20.12): no Hash object a call, about half the cost of
// createHash().update().digest() on the per-request path (the key verifier's cache key).
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

/** A new key from the OS's cryptographic random source (128-bit id, 256-bit secret). */
export function generateApiKey(): GeneratedKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, apiKey: `${KEY_PREFIX}${keyId}_${secret}`, hash: sha256Hex(secret) };
}

/** Splits a presented key; never throws, whatever the client sent. */
export function parseApiKey(raw: string): ParsedKey {
  if (raw.length === 0 || raw.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(raw)) {
    return { kind: 'malformed' };
  }
  if (!raw.startsWith(KEY_PREFIX)) return { kind: 'legacy', plaintext: raw };
  const rest = raw.slice(KEY_PREFIX.length);
  const sep = rest.indexOf('_');
  if (sep < 0) return { kind: 'malformed' };
  const keyId = rest.slice(0, sep);
  const secret = rest.slice(sep + 1);
  if (!KEY_ID_PATTERN.test(keyId) || secret.length === 0) return { kind: 'malformed' };
  return { kind: 'ovk', keyId, secret };
}

/** Constant-time comparison of two hex digests (a length mismatch is simply false). */
export function sameDigest(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'utf8');
  const b = Buffer.from(bHex, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
