import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateApiKey, parseApiKey, sameDigest, sha256Hex } from '../../src/auth/api-key-format.js';
import { assertProperty } from '../support/property-runs.js';

describe('API key format', () => {
  it('every generated key parses back to its id, and its hash is the SHA-256 of the secret', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const k = generateApiKey();
      const p = parseApiKey(k.apiKey);
      expect(p.kind).toBe('ovk');
      if (p.kind !== 'ovk') continue;
      expect(p.keyId).toBe(k.keyId);
      expect(sha256Hex(p.secret)).toBe(k.hash);
      expect(k.apiKey).not.toContain(k.hash);
      seen.add(k.keyId);
    }
    expect(seen.size).toBe(500);
  });

  it('parsing never throws, whatever the client sends', () => {
    assertProperty(
      fc.property(fc.string({ maxLength: 700 }), (raw) => {
        const p = parseApiKey(raw);
        expect(['ovk', 'legacy', 'malformed']).toContain(p.kind);
        if (raw.length === 0 || raw.length > 512) expect(p.kind).toBe('malformed');
      }),
      { numRuns: 2000 },
    );
    for (const raw of ['ovk_', 'ovk__', 'ovk_0123456789abcdef_', 'ovk_XYZ_secret', 'a b', 'ключ', '\u0000']) {
      expect(parseApiKey(raw).kind, raw).toBe(
        raw.startsWith('ovk_') || /[^\x21-\x7e]/.test(raw) ? 'malformed' : 'legacy',
      );
    }
  });

  it('digests compare in constant time and unequal lengths are simply unequal', () => {
    expect(sameDigest(sha256Hex('a'), sha256Hex('a'))).toBe(true);
    expect(sameDigest(sha256Hex('a'), sha256Hex('b'))).toBe(false);
    expect(sameDigest(sha256Hex('a'), 'short')).toBe(false);
  });
});
