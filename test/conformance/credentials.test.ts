import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { CALENDAR, manifest, SEARCH, WEATHER } from '../support/manifests.js';

describe.each(await selectedBackends())('credential store ($name)', (backend) => {
  let vault: Vault;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ vault, close } = await freshVault(backend));
    await vault.system.createOrg('acme');
    await vault.org('acme').modules.install(manifest(WEATHER));
  });
  afterEach(async () => close());

  it('stores, retrieves, replaces and deletes', async () => {
    const acme = vault.org('acme');
    expect(await acme.credentials.retrieve(WEATHER)).toBeNull();
    expect(await acme.credentials.has(WEATHER)).toBe(false);
    await acme.credentials.store(WEATHER, {
      api_key: 'first-secret',
      region: 'eu',
      retries: 3,
      sandbox: true,
    });
    expect(await acme.credentials.retrieve(WEATHER)).toEqual({
      api_key: 'first-secret',
      region: 'eu',
      retries: 3,
      sandbox: true,
    });
    await acme.credentials.store(WEATHER, { api_key: 'second-secret' });
    expect(await acme.credentials.retrieve(WEATHER)).toEqual({ api_key: 'second-secret' });
    expect(await acme.credentials.has(WEATHER)).toBe(true);
    expect(await acme.credentials.delete(WEATHER)).toBe(true);
    expect(await acme.credentials.delete(WEATHER)).toBe(false);
    expect(await acme.credentials.retrieve(WEATHER)).toBeNull();
  });

  it('a reinstall keeps the stored credentials: same manifest, a new version, after a disable', async () => {
    const acme = vault.org('acme');
    const values = { api_key: 'kept-across-reinstall', region: 'eu' };
    await acme.credentials.store(WEATHER, values);
    const stored = await acme.credentials.metadata(WEATHER);
    await acme.modules.install(manifest(WEATHER));
    expect(await acme.credentials.retrieve(WEATHER)).toEqual(values);
    await acme.modules.install(manifest(WEATHER, { version: '2.0.0', description: 'changed' }));
    expect(await acme.credentials.retrieve(WEATHER)).toEqual(values);
    await acme.modules.disable(WEATHER);
    await acme.modules.install(manifest(WEATHER, { version: '2.1.0' }));
    expect(await acme.credentials.retrieve(WEATHER)).toEqual(values);
    expect(await acme.credentials.listModuleIds()).toEqual([WEATHER]);
    // Nothing was rewritten behind the caller's back: the same row, the same times.
    expect(await acme.credentials.metadata(WEATHER)).toEqual(stored);
    expect((await acme.modules.get(WEATHER))?.version).toBe('2.1.0');
  });

  it('lists module ids with credentials, sorted', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(SEARCH));
    await acme.modules.install(manifest(CALENDAR));
    await acme.credentials.store(SEARCH, { key: 'k' });
    await acme.credentials.store(CALENDAR, { token: 't' });
    expect(await acme.credentials.listModuleIds()).toEqual([CALENDAR, SEARCH]);
  });

  it('shows metadata (field names and times), never values', async () => {
    await vault.org('acme').credentials.store(WEATHER, { api_key: 'meta-secret-1', region: 'eu' });
    const meta = await vault.org('acme').credentials.metadata(WEATHER);
    expect(meta?.fields).toEqual(['api_key', 'region']);
    expect(JSON.stringify(meta)).not.toContain('meta-secret-1');
  });

  it('refuses credentials for a module that is not installed (NOT_FOUND)', async () => {
    await expect(vault.org('acme').credentials.store(SEARCH, { key: 'k' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it.each([
    ['an array', ['a']],
    ['a string', 'secret'],
    ['an empty object', {}],
    ['a nested object', { a: { b: 1 } }],
    ['null value', { a: null }],
    ['a bad field name', { 'a b': 'x' }],
    ['a non-finite number', { a: Number.POSITIVE_INFINITY }],
  ])('rejects %s without storing anything', async (_label, bad) => {
    await expect(
      vault.org('acme').credentials.store(WEATHER, bad as Record<string, unknown>),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await vault.org('acme').credentials.has(WEATHER)).toBe(false);
  });

  it('rejects more than 16 KiB', async () => {
    await expect(
      vault.org('acme').credentials.store(WEATHER, { blob: 'x'.repeat(17 * 1024) }),
    ).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    await vault.org('acme').credentials.store(WEATHER, { blob: 'x'.repeat(15 * 1024) });
    expect((await vault.org('acme').credentials.retrieve(WEATHER))?.blob).toHaveLength(15 * 1024);
  });

  it('checks values against the manifest credential_fields', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(
      manifest(SEARCH, { credential_fields: [{ name: 'api_key', required: true }, { name: 'engine' }] }),
    );
    await expect(acme.credentials.store(SEARCH, { engine: 'g' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('api_key'),
    });
    await expect(acme.credentials.store(SEARCH, { api_key: 'k', extra: 'nope' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('extra'),
    });
    await acme.credentials.store(SEARCH, { api_key: 'k' });
    expect(await acme.credentials.retrieve(SEARCH)).toEqual({ api_key: 'k' });
  });

  it('error messages name fields, never values', async () => {
    const secret = 'do-not-echo-this-value';
    await vault
      .org('acme')
      .modules.install(manifest(SEARCH, { credential_fields: [{ name: 'api_key', required: true }] }));
    const err = await vault
      .org('acme')
      .credentials.store(SEARCH, { api_key: secret, other: secret })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain(secret);
  });

  it('keeps SQL metacharacters and unicode in values verbatim', async () => {
    const values = { api_key: "'; DROP TABLE credentials; --", note: 'π ✓ 日本 \u0000 end' };
    await vault.org('acme').credentials.store(WEATHER, values);
    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual(values);
  });
});
