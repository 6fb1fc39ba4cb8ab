import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptFernet,
  FernetError,
  fernetKeyFromSha256,
  parseFernetKey,
} from '../../src/importers/nexus/fernet.js';
import { NEXUS_DEV_KEY } from '../../src/importers/nexus/open-credential.js';
import { encodeFernet } from './fernet-encoder.js';

const newKey = () => randomBytes(32).toString('base64url');

/** Flips one bit at a byte offset of the decoded token (negative offsets count from the end). */
function flip(token: string, offset: number): string {
  const bytes = Buffer.from(token, 'base64url');
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}

function rejection(fn: () => unknown): FernetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FernetError) return err;
    throw err;
  }
  throw new Error('expected a FernetError');
}

describe('Fernet reader', () => {
  it('round-trips tokens of any length made by a spec encoder, with or without key padding', () => {
    const keyText = newKey();
    for (const text of ['', 'x', '{"api_key":"k"}', 'päss-é'.repeat(40), 'a'.repeat(16), 'b'.repeat(17)]) {
      const token = encodeFernet(keyText, text, { time: 1_700_000_000 });
      const out = decryptFernet(parseFernetKey(`${keyText}=`), token);
      expect(out.plaintext.toString('utf8')).toBe(text);
      expect(out.timestamp).toBe(1_700_000_000);
    }
  });

  it('accepts the padded base64 Python emits', () => {
    const keyText = newKey();
    const token = encodeFernet(keyText, 'hello');
    const padded = token + '='.repeat((4 - (token.length % 4)) % 4);
    expect(decryptFernet(parseFernetKey(keyText), padded).plaintext.toString()).toBe('hello');
  });

  // version (0), timestamp (1..8), IV (9..24), ciphertext (25..-33), HMAC (last 32)
  it.each([
    ['version', 0, 'unsupported_version'],
    ['timestamp', 4, 'bad_signature'],
    ['IV', 12, 'bad_signature'],
    ['ciphertext', 30, 'bad_signature'],
    ['ciphertext (last block)', -33, 'bad_signature'],
    ['HMAC', -1, 'bad_signature'],
    ['HMAC (first byte)', -32, 'bad_signature'],
  ])('rejects a token with a flipped byte in the %s', (_part, offset, reason) => {
    const keyText = newKey();
    const token = encodeFernet(keyText, '{"secret":"s3cr3t-value"}');
    const err = rejection(() => decryptFernet(parseFernetKey(keyText), flip(token, offset as number)));
    expect(err.reason).toBe(reason);
    expect(err.message).not.toContain('s3cr3t');
  });

  it('rejects a wrong key', () => {
    const token = encodeFernet(newKey(), 'secret');
    expect(rejection(() => decryptFernet(parseFernetKey(newKey()), token)).reason).toBe('bad_signature');
  });

  it('checks the HMAC before decrypting: a forged token with valid structure never reaches the cipher', () => {
    const keyText = newKey();
    const raw = Buffer.from(keyText, 'base64url');
    // Right encryption key, wrong signing key: decrypting would succeed, verification must not.
    const forgedKey = Buffer.concat([randomBytes(16), raw.subarray(16)]).toString('base64url');
    const token = encodeFernet(forgedKey, 'secret');
    expect(rejection(() => decryptFernet(parseFernetKey(keyText), token)).reason).toBe('bad_signature');
  });

  it('rejects malformed tokens with a clear error', () => {
    const key = parseFernetKey(newKey());
    const good = encodeFernet(newKey(), 'x');
    const cases = [
      '',
      'not base64 !',
      'gAAAAA',
      Buffer.alloc(40, 0x80).toString('base64url'),
      // one byte short of whole AES blocks
      Buffer.from(good, 'base64url').subarray(1).toString('base64url'),
    ];
    for (const token of cases) {
      const err = rejection(() => decryptFernet(key, token));
      expect(err.reason).toBe('malformed');
      expect(err.message).toMatch(/Fernet/);
    }
  });

  it('rejects keys that are not 32 bytes of url-safe base64', () => {
    expect(rejection(() => parseFernetKey('short')).reason).toBe('malformed');
    expect(rejection(() => parseFernetKey(randomBytes(31).toString('base64url'))).reason).toBe('malformed');
    expect(rejection(() => parseFernetKey('+/+/'.repeat(11))).reason).toBe('malformed');
  });

  it("derives NEXUS's public dev key as url-safe base64 of SHA-256 of the phrase", () => {
    const expected = createHash('sha256').update('nexus-dev-key-not-for-production').digest('base64url');
    expect(NEXUS_DEV_KEY.replace(/=$/, '')).toBe(expected);
    expect(fernetKeyFromSha256('x')).toMatch(/^[A-Za-z0-9_-]{43}=$/);
  });
});
