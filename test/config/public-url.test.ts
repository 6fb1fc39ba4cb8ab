import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { VaultError } from '../../src/errors.js';

/** ORGVAULT_PUBLIC_URL: the base of the OAuth2 redirect URI, so it must be an exact, plain URL. */
describe('ORGVAULT_PUBLIC_URL', () => {
  it('defaults to the listening address, loopback for a wildcard host', () => {
    expect(loadConfig({}, { ORGVAULT_PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({}, { ORGVAULT_HOST: '0.0.0.0' }).publicUrl).toBe('http://127.0.0.1:8003');
    expect(loadConfig({}, { ORGVAULT_HOST: '::1' }).publicUrl).toBe('http://[::1]:8003');
  });

  it('takes an origin with an optional path prefix, without a trailing slash', () => {
    expect(loadConfig({}, { ORGVAULT_PUBLIC_URL: 'https://vault.example.com/' }).publicUrl).toBe(
      'https://vault.example.com',
    );
    expect(loadConfig({}, { ORGVAULT_PUBLIC_URL: 'https://example.com/orgvault/' }).publicUrl).toBe(
      'https://example.com/orgvault',
    );
  });

  for (const bad of [
    'vault.example.com',
    'ftp://x.test',
    'https://u:p@x.test',
    'https://x.test/?a=1',
    'https://x.test/#f',
  ]) {
    it(`refuses ${bad} with a clear CONFIG_INVALID`, () => {
      let error: unknown = null;
      try {
        loadConfig({}, { ORGVAULT_PUBLIC_URL: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(VaultError);
      expect((error as VaultError).code).toBe('CONFIG_INVALID');
      expect((error as VaultError).message).toContain('ORGVAULT_PUBLIC_URL');
    });
  }
});
