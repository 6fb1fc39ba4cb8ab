import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { CALENDAR, manifest, SEARCH, WEATHER } from '../support/manifests.js';

describe.each(await selectedBackends())('module registry ($name)', (backend) => {
  let vault: Vault;
  let close: () => Promise<void>;
  let now = new Date('2026-03-01T10:00:00.000Z');

  beforeEach(async () => {
    now = new Date('2026-03-01T10:00:00.000Z');
    ({ vault, close } = await freshVault(backend, { clock: () => now }));
    await vault.system.createOrg('acme', { name: 'Acme', plan: 'pro' });
  });
  afterEach(async () => close());

  it('installs a module and keeps unknown manifest fields', async () => {
    const m = await vault
      .org('acme')
      .modules.install(
        manifest(WEATHER, { entry_point: 'main.py', python_dependencies: ['requests'], nested: { a: 1 } }),
      );
    expect(m).toMatchObject({
      orgId: 'acme',
      moduleId: WEATHER,
      category: 'weather',
      platform: 'openweather',
      version: '1.0.0',
      status: 'installed',
      healthStatus: 'unknown',
      failureCount: 0,
      successCount: 0,
      lastUsedAt: null,
      installedAt: '2026-03-01T10:00:00.000Z',
    });
    expect(m.manifest).toMatchObject({
      entry_point: 'main.py',
      python_dependencies: ['requests'],
      nested: { a: 1 },
    });
  });

  it('re-installing keeps installed_at and counters and replaces the manifest', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(WEATHER, { description: 'old' }));
    await vault.system.recordUsage('acme', WEATHER);
    await vault.system.updateHealth('acme', WEATHER, 'degraded', { failure: true });
    now = new Date('2026-03-02T10:00:00.000Z');
    const again = await acme.modules.install(manifest(WEATHER, { version: '1.1.0', description: 'new' }));
    expect(again.installedAt).toBe('2026-03-01T10:00:00.000Z');
    expect(again.updatedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(again.version).toBe('1.1.0');
    expect(again.manifest.description).toBe('new');
    expect([again.successCount, again.failureCount]).toEqual([1, 1]);
    expect((await acme.modules.list()).length).toBe(1);
  });

  it('a disabled module stays disabled when re-installed', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(WEATHER));
    await acme.modules.disable(WEATHER);
    expect((await acme.modules.install(manifest(WEATHER, { version: '2.0.0' }))).status).toBe('disabled');
  });

  it('lists ordered by category then name, with status and category filters', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(WEATHER));
    await acme.modules.install(manifest(SEARCH));
    await acme.modules.install(manifest(CALENDAR));
    await acme.modules.install(manifest('calendar/apple', { name: 'apple' }));
    await acme.modules.disable(SEARCH);
    expect((await acme.modules.list()).map((m) => m.moduleId)).toEqual([
      'calendar/apple',
      CALENDAR,
      SEARCH,
      WEATHER,
    ]);
    expect((await acme.modules.list({ status: 'disabled' })).map((m) => m.moduleId)).toEqual([SEARCH]);
    expect((await acme.modules.list({ category: 'calendar' })).map((m) => m.moduleId)).toEqual([
      'calendar/apple',
      CALENDAR,
    ]);
    expect(await acme.modules.list({ category: 'calendar', status: 'disabled' })).toEqual([]);
    await expect(acme.modules.list({ status: 'sleeping' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('enable, disable and uninstall report whether something changed', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(WEATHER));
    expect(await acme.modules.enable(WEATHER)).toBe(false);
    expect(await acme.modules.disable(WEATHER)).toBe(true);
    expect(await acme.modules.disable(WEATHER)).toBe(false);
    expect(await acme.modules.enable(WEATHER)).toBe(true);
    expect(await acme.modules.uninstall(WEATHER)).toBe(true);
    expect(await acme.modules.uninstall(WEATHER)).toBe(false);
    expect(await acme.modules.get(WEATHER)).toBeNull();
    expect(await acme.modules.enable(WEATHER)).toBe(false);
  });

  it('uninstall removes the module credentials with it', async () => {
    const acme = vault.org('acme');
    await acme.modules.install(manifest(WEATHER));
    await acme.credentials.store(WEATHER, { api_key: 'k-123456' });
    await acme.modules.uninstall(WEATHER);
    expect(await acme.credentials.has(WEATHER)).toBe(false);
    await acme.modules.install(manifest(WEATHER));
    expect(await acme.credentials.retrieve(WEATHER)).toBeNull();
  });

  it('records usage and health, and lists unhealthy modules per org and across orgs', async () => {
    await vault.system.createOrg('globex');
    await vault.org('acme').modules.install(manifest(WEATHER));
    await vault.org('acme').modules.install(manifest(SEARCH));
    await vault.org('globex').modules.install(manifest(CALENDAR));
    now = new Date('2026-03-01T11:00:00.000Z');
    expect(await vault.system.recordUsage('acme', WEATHER)).toBe(true);
    const used = await vault.org('acme').modules.get(WEATHER);
    expect([used?.successCount, used?.lastUsedAt]).toEqual([1, '2026-03-01T11:00:00.000Z']);

    for (let i = 0; i < 3; i++) await vault.system.updateHealth('acme', SEARCH, 'healthy', { failure: true });
    await vault.system.updateHealth('globex', CALENDAR, 'unhealthy');
    expect((await vault.org('acme').modules.get(SEARCH))?.failureCount).toBe(3);

    expect(await vault.org('acme').modules.listUnhealthy({ failureThreshold: 5 })).toEqual([]);
    expect(
      (await vault.org('acme').modules.listUnhealthy({ failureThreshold: 3 })).map((m) => m.moduleId),
    ).toEqual([SEARCH]);
    const all = await vault.system.listUnhealthy({ failureThreshold: 3 });
    expect(all.map((m) => `${m.orgId}:${m.moduleId}`)).toEqual([`acme:${SEARCH}`, `globex:${CALENDAR}`]);
    expect(await vault.system.recordUsage('acme', 'nothing/here')).toBe(false);
    await expect(vault.system.updateHealth('acme', WEATHER, 'fine')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it.each([
    ['missing version', { name: 'x', category: 'weather', platform: 'x' }],
    ['bad semver', { name: 'x', category: 'weather', platform: 'x', version: '1.0' }],
    ['bad category', { name: 'x', category: 'Weather', platform: 'x', version: '1.0.0' }],
    ['path in platform', { name: 'x', category: 'weather', platform: '../x', version: '1.0.0' }],
    [
      'bad auth_type',
      { name: 'x', category: 'weather', platform: 'x', version: '1.0.0', auth_type: 'magic' },
    ],
    ['bad status', { name: 'x', category: 'weather', platform: 'x', version: '1.0.0', status: 'asleep' }],
    [
      'duplicate credential field',
      {
        name: 'x',
        category: 'weather',
        platform: 'x',
        version: '1.0.0',
        credential_fields: [{ name: 'k' }, { name: 'k' }],
      },
    ],
    ['not an object', ['weather']],
    ['null', null],
  ])('rejects a manifest with %s and writes nothing', async (_label, bad) => {
    await expect(vault.org('acme').modules.install(bad)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await vault.org('acme').modules.list()).toEqual([]);
  });

  it('rejects malformed module ids before any query', async () => {
    for (const id of [
      'weather',
      'a/b/c',
      '../x',
      'weather/',
      '/x',
      'Weather/x',
      'w/%00',
      `w/${'x'.repeat(65)}`,
    ]) {
      await expect(vault.org('acme').modules.get(id)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(vault.org('acme').modules.uninstall(id)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('keeps SQL metacharacters in manifests verbatim', async () => {
    const evil = "x'); DROP TABLE modules; --";
    await vault
      .org('acme')
      .modules.install(manifest(WEATHER, { description: evil, display_name: '"; DELETE FROM' }));
    const m = await vault.org('acme').modules.get(WEATHER);
    expect(m?.manifest.description).toBe(evil);
    expect((await vault.org('acme').modules.list()).length).toBe(1);
  });
});
