import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialAad } from '../../src/credentials/credential-service.js';
import { open, seal } from '../../src/crypto/aead.js';
import { httpModule } from '../agent/support/fixtures.js';
import { SEARCH, WEATHER } from '../support/manifests.js';

/**
 * The associated data of a credential, checked with one key for everything: the key cannot tell
 * the cases apart, so only the associated data (org, module, key version, destination) can.
 */
describe('credential associated data', () => {
  const key = randomBytes(32);
  const dest = httpModule(WEATHER, 'https://api.openweathermap.org');
  const plain = Buffer.from('{"api_key":"sk-aad-secret"}');
  const sealed = seal(key, plain, credentialAad('acme', WEATHER, 1, dest));
  const opens = (aad: Buffer) => open(key, sealed.nonce, sealed.ciphertext, aad);

  it('opens with the key and the associated data it was sealed with', () => {
    expect(opens(credentialAad('acme', WEATHER, 1, dest))?.toString()).toBe(plain.toString());
  });

  it('does not open for another org under the same key', () => {
    expect(opens(credentialAad('globex', WEATHER, 1, dest))).toBeNull();
    expect(opens(credentialAad('default', WEATHER, 1, dest))).toBeNull();
  });

  it('does not open for another module under the same key, even with the same destination', () => {
    const sameDestination = { ...dest, category: 'search', platform: 'serpapi', name: 'serpapi' };
    expect(opens(credentialAad('acme', SEARCH, 1, sameDestination))).toBeNull();
    expect(opens(credentialAad('acme', SEARCH, 1, dest))).toBeNull();
  });

  it('does not open for another key version or another destination', () => {
    expect(opens(credentialAad('acme', WEATHER, 2, dest))).toBeNull();
    expect(
      opens(credentialAad('acme', WEATHER, 1, httpModule(WEATHER, 'https://attacker.example'))),
    ).toBeNull();
  });

  it('differs for every org, module and version: no two of them share associated data', () => {
    const seen = new Set<string>();
    for (const org of ['acme', 'globex', 'acme-1', 'default'])
      for (const mod of [WEATHER, SEARCH])
        for (const version of [1, 2, 11]) seen.add(credentialAad(org, mod, version, dest).toString('hex'));
    expect(seen.size).toBe(4 * 2 * 3);
  });
});
