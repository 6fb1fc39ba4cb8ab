import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { CALENDAR, manifest, WEATHER } from '../support/manifests.js';

/**
 * Adversarial isolation: two orgs hold the same module id; every operation of one org is tried
 * against the other, which must neither see, change nor detect the other's row.
 */
describe.each(await selectedBackends())('isolation between orgs ($name)', (backend) => {
  let vault: Vault;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ vault, close } = await freshVault(backend));
    await vault.system.createOrg('acme');
    await vault.system.createOrg('globex');
  });
  afterEach(async () => close());

  it('NEXUS defect 1: a second org installing the same module id does not overwrite the first', async () => {
    await vault
      .org('acme')
      .modules.install(manifest(WEATHER, { version: '1.0.0', display_name: 'Acme weather' }));
    await vault
      .org('globex')
      .modules.install(manifest(WEATHER, { version: '2.0.0', display_name: 'Globex weather' }));

    const a = await vault.org('acme').modules.get(WEATHER);
    const g = await vault.org('globex').modules.get(WEATHER);
    expect(a?.version).toBe('1.0.0');
    expect(a?.manifest.display_name).toBe('Acme weather');
    expect(a?.orgId).toBe('acme');
    expect(g?.version).toBe('2.0.0');
    expect(g?.orgId).toBe('globex');
  });

  it('NEXUS defect 2: no call without an org reads, lists or deletes across orgs', async () => {
    await vault.org('acme').modules.install(manifest(WEATHER));
    await vault.org('acme').credentials.store(WEATHER, { api_key: 'acme-secret-123' });

    // The default org (what a caller that names no org gets) sees nothing of acme's.
    expect(await vault.org().modules.list()).toEqual([]);
    expect(await vault.org().modules.get(WEATHER)).toBeNull();
    expect(await vault.org().credentials.retrieve(WEATHER)).toBeNull();
    expect(await vault.org().credentials.listModuleIds()).toEqual([]);
    expect(await vault.org().modules.uninstall(WEATHER)).toBe(false);
    expect(await vault.org().credentials.delete(WEATHER)).toBe(false);
    // ...and acme's data is intact afterwards.
    expect(await vault.org('acme').modules.get(WEATHER)).not.toBeNull();
    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'acme-secret-123' });
  });

  it('lists, gets, enables, disables and uninstalls only its own row', async () => {
    await vault.org('acme').modules.install(manifest(WEATHER));
    await vault.org('globex').modules.install(manifest(WEATHER));
    await vault.org('globex').modules.install(manifest(CALENDAR));

    expect((await vault.org('acme').modules.list()).map((m) => m.moduleId)).toEqual([WEATHER]);
    expect((await vault.org('globex').modules.list()).map((m) => m.moduleId)).toEqual([CALENDAR, WEATHER]);

    expect(await vault.org('acme').modules.disable(WEATHER)).toBe(true);
    expect((await vault.org('acme').modules.get(WEATHER))?.status).toBe('disabled');
    expect((await vault.org('globex').modules.get(WEATHER))?.status).toBe('installed');

    // acme cannot touch globex's calendar module, nor learn that it exists.
    expect(await vault.org('acme').modules.get(CALENDAR)).toBeNull();
    expect(await vault.org('acme').modules.disable(CALENDAR)).toBe(false);
    expect(await vault.org('acme').modules.enable(CALENDAR)).toBe(false);
    expect(await vault.org('acme').modules.uninstall(CALENDAR)).toBe(false);
    expect((await vault.org('globex').modules.get(CALENDAR))?.status).toBe('installed');

    expect(await vault.org('acme').modules.uninstall(WEATHER)).toBe(true);
    expect(await vault.org('acme').modules.get(WEATHER)).toBeNull();
    expect(await vault.org('globex').modules.get(WEATHER)).not.toBeNull();
  });

  it('keeps credentials of the same module id apart, and uninstall removes only its own', async () => {
    await vault.org('acme').modules.install(manifest(WEATHER));
    await vault.org('globex').modules.install(manifest(WEATHER));
    await vault.org('acme').credentials.store(WEATHER, { api_key: 'acme-key-aaaaaa' });
    await vault.org('globex').credentials.store(WEATHER, { api_key: 'globex-key-bbbbbb' });

    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'acme-key-aaaaaa' });
    expect(await vault.org('globex').credentials.retrieve(WEATHER)).toEqual({ api_key: 'globex-key-bbbbbb' });

    expect(await vault.org('acme').modules.uninstall(WEATHER)).toBe(true);
    expect(await vault.org('acme').credentials.has(WEATHER)).toBe(false);
    expect(await vault.org('globex').credentials.retrieve(WEATHER)).toEqual({ api_key: 'globex-key-bbbbbb' });
  });

  it('an org cannot store credentials for a module installed only in another org', async () => {
    await vault.org('globex').modules.install(manifest(WEATHER));
    await expect(vault.org('acme').credentials.store(WEATHER, { api_key: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await vault.org('globex').credentials.has(WEATHER)).toBe(false);
  });

  it('answers an unknown org with ORG_NOT_FOUND and a malformed one with VALIDATION_FAILED', async () => {
    await expect(vault.org('initech').modules.list()).rejects.toMatchObject({ code: 'ORG_NOT_FOUND' });
    await expect(vault.org('initech').credentials.retrieve(WEATHER)).rejects.toMatchObject({
      code: 'ORG_NOT_FOUND',
    });
    expect(() => vault.org('../acme')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => vault.org('ACME')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => vault.org('a'.repeat(64))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('health and usage counters of one org do not move the other', async () => {
    await vault.org('acme').modules.install(manifest(WEATHER));
    await vault.org('globex').modules.install(manifest(WEATHER));
    await vault.system.recordUsage('acme', WEATHER);
    await vault.system.recordUsage('acme', WEATHER);
    for (let i = 0; i < 5; i++)
      await vault.system.updateHealth('globex', WEATHER, 'unhealthy', { failure: true });

    const a = await vault.org('acme').modules.get(WEATHER);
    const g = await vault.org('globex').modules.get(WEATHER);
    expect([a?.successCount, a?.failureCount, a?.healthStatus]).toEqual([2, 0, 'unknown']);
    expect([g?.successCount, g?.failureCount, g?.healthStatus]).toEqual([0, 5, 'unhealthy']);
    expect(await vault.org('acme').modules.listUnhealthy()).toEqual([]);
    expect((await vault.system.listUnhealthy()).map((m) => [m.orgId, m.moduleId])).toEqual([
      ['globex', WEATHER],
    ]);
  });
});
