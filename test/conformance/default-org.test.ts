import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';

describe.each(await selectedBackends())('the default org ($name)', (backend) => {
  let vault: Vault;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ vault, close } = await freshVault(backend));
  });
  afterEach(async () => close());

  it('exists from the start', async () => {
    expect((await vault.system.listOrgs()).map((o) => o.orgId)).toEqual(['default']);
  });

  it('what vault.org() writes, vault.org("default") reads, and no other org sees', async () => {
    await vault.system.createOrg('acme');
    await vault.org().modules.install(manifest(WEATHER));
    await vault.org().credentials.store(WEATHER, { api_key: 'single-tenant-key' });

    expect((await vault.org('default').modules.get(WEATHER))?.orgId).toBe('default');
    expect(await vault.org('default').credentials.retrieve(WEATHER)).toEqual({
      api_key: 'single-tenant-key',
    });
    expect(await vault.org('acme').modules.list()).toEqual([]);
    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toBeNull();
  });

  it('creating an existing org is a CONFLICT and changes nothing', async () => {
    await vault.system.createOrg('acme', { name: 'Acme', plan: 'pro' });
    await expect(vault.system.createOrg('acme', { name: 'Other' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(vault.system.createOrg('default')).rejects.toMatchObject({ code: 'CONFLICT' });
    const acme = (await vault.system.listOrgs()).find((o) => o.orgId === 'acme');
    expect([acme?.name, acme?.plan]).toEqual(['Acme', 'pro']);
  });
});
