import { afterEach, describe, expect, it, vi } from 'vitest';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { call, type HttpWorld, httpWorld } from './support.js';

const backends = await selectedBackends();

/**
 * The key-verification and module-answer caches must never serve anything a fresh read would not:
 * writes through the library, and through another process on the same database, show at once.
 */
describe.each(backends.map((b) => [b.name, b] as const))('caches on %s', (_name, backend) => {
  let world: HttpWorld;
  let other: Vault | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await world.close();
  });

  /** A second vault on the same database: another process, as far as caches can tell. */
  const secondVault = async () => {
    const c = world.vault.config;
    other = await openVault({
      databaseUrl: c.databaseUrl,
      dataDir: c.dataDir,
      masterKey: c.masterKey,
      warn: () => {},
    });
    return other;
  };

  it('a key revoked elsewhere is refused on the very next request', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    for (let i = 0; i < 3; i++)
      expect((await call(world.app, 'GET', '/v1/me', { key: k.apiKey })).statusCode).toBe(200);
    const second = await secondVault();
    await second.org().keys.revoke(k.keyId);
    expect((await call(world.app, 'GET', '/v1/me', { key: k.apiKey })).statusCode).toBe(401);
  });

  it('each listed module is, byte for byte, what GET of that one module answers', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    await world.vault.org().modules.install(manifest('weather/openweather'));
    await world.vault.org().modules.install(manifest('calendar/google'));
    await world.vault.system.recordUsage('default', 'weather/openweather');
    const listed = (await call(world.app, 'GET', '/v1/modules', { key: k.apiKey })).json().modules as {
      module_id: string;
    }[];
    expect(listed.map((m) => m.module_id)).toEqual(['calendar/google', 'weather/openweather']);
    for (const m of listed) {
      const one = await call(world.app, 'GET', `/v1/modules/${m.module_id}`, { key: k.apiKey });
      expect(one.statusCode).toBe(200);
      expect(JSON.stringify(m)).toBe(JSON.stringify(one.json()));
    }
  });

  it('the module list reflects library writes and writes from another process at once', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const list = async () =>
      (await call(world.app, 'GET', '/v1/modules', { key: k.apiKey }))
        .json()
        .modules.map((m: { module_id: string; status: string }) => `${m.module_id}:${m.status}`);
    expect(await list()).toEqual([]);
    await world.vault.org().modules.install(manifest('weather/openweather'));
    expect(await list()).toEqual(['weather/openweather:installed']);
    expect(await list()).toEqual(['weather/openweather:installed']);
    const second = await secondVault();
    await second.org().modules.disable('weather/openweather');
    expect(await list()).toEqual(['weather/openweather:disabled']);
    await world.vault.system.recordUsage('default', 'weather/openweather');
    const res = await call(world.app, 'GET', '/v1/modules', { key: k.apiKey });
    expect(res.json().modules[0].success_count).toBe(1);
  });

  it("a cached list is never served to another org's caller", async () => {
    world = await httpWorld(backend);
    await world.vault.system.createOrg('other');
    const a = await world.vault.org().keys.create({ role: 'viewer' });
    const b = await world.vault.org('other').keys.create({ role: 'viewer' });
    await world.vault.org().modules.install(manifest('weather/openweather'));
    expect((await call(world.app, 'GET', '/v1/modules', { key: a.apiKey })).json().modules).toHaveLength(1);
    expect((await call(world.app, 'GET', '/v1/modules', { key: b.apiKey })).json().modules).toHaveLength(0);
  });

  it('one module reflects library writes, writes from another process and uninstalls at once', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const one = () => call(world.app, 'GET', '/v1/modules/weather/openweather', { key: k.apiKey });
    expect((await one()).statusCode).toBe(404);
    await world.vault.org().modules.install(manifest('weather/openweather'));
    expect((await one()).json().status).toBe('installed');
    expect((await one()).json().status).toBe('installed');
    const second = await secondVault();
    await second.org().modules.disable('weather/openweather');
    expect((await one()).json().status).toBe('disabled');
    await world.vault.system.recordUsage('default', 'weather/openweather');
    expect((await one()).json().success_count).toBe(1);
    await second.org().modules.uninstall('weather/openweather');
    expect((await one()).statusCode).toBe(404);
  });

  it('an unchanged module is answered again without reading the database (where it has a change token)', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    await world.vault.org().modules.install(manifest('weather/openweather'));
    const one = () => call(world.app, 'GET', '/v1/modules/weather/openweather', { key: k.apiKey });
    // The first request of a key also records its last use (a commit): the answer after it is cached.
    await one();
    const first = await one();
    const storage = internalsOf(world.vault).storage;
    const reads = vi.spyOn(storage, 'read');
    const again = await one();
    expect(again.body).toBe(first.body);
    expect(reads.mock.calls.length).toBe(storage.changeToken ? 0 : 2);
    reads.mockRestore();
  });

  it('requests read in one turn of the event loop share one read of the change tokens', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const me = () => call(world.app, 'GET', '/v1/me', { key: k.apiKey });
    // The first request of a key reads its row and records its last use: the turns after are warm.
    await me();
    await me();
    const storage = internalsOf(world.vault).storage;
    if (!storage.changeTokens) return;
    const reads = vi.spyOn(storage, 'changeTokens');
    // Injected requests all arrive within one turn, as requests read in one poll phase do.
    const answers = await Promise.all(Array.from({ length: 5 }, me));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(reads.mock.calls.length).toBe(1);
    reads.mockRestore();
  });

  it("a cached module is never served to another org's caller", async () => {
    world = await httpWorld(backend);
    await world.vault.system.createOrg('other');
    const a = await world.vault.org().keys.create({ role: 'viewer' });
    const b = await world.vault.org('other').keys.create({ role: 'viewer' });
    await world.vault.org().modules.install(manifest('weather/openweather'));
    const path = '/v1/modules/weather/openweather';
    for (let i = 0; i < 2; i++)
      expect((await call(world.app, 'GET', path, { key: a.apiKey })).statusCode).toBe(200);
    const theirs = await call(world.app, 'GET', path, { key: b.apiKey });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().code).toBe('NOT_FOUND');
  });
});
