import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpModule } from '../agent/support/fixtures.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { call, type HttpWorld, httpWorld, type OrgKeys, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { rawSql } from '../support/raw-sql.js';

/**
 * The attack of the security review: an operator (manage_modules, but not manage_credentials)
 * repoints a module with an owner's stored key at a server of its own, or renames the header the key
 * travels in, then invokes. Every such change must be refused, and the attacker's server must see
 * nothing; an owner's change carries the credential along; a manifest edited by SQL fails closed.
 */
const MOD = 'weather/openweather';
const SECRET = 'owner-only-secret-8f3a2c';

function upstream(): ModuleServer {
  const echo = (req: { headers: unknown }, res: Parameters<typeof json>[0]) =>
    json(res, 200, { headers: req.headers });
  return new ModuleServer().route('GET', '/weather', echo).route('GET', '/data/2.5/weather', echo);
}

/** Every place a request can carry the secret: headers, query, path, body. */
function secretsSeen(server: ModuleServer): number {
  return server.seen.filter((r) => JSON.stringify(r).includes(SECRET)).length;
}

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] a credential is bound to its destination`, () => {
    let world: HttpWorld;
    let provider: ModuleServer;
    let attacker: ModuleServer;
    let acme: OrgKeys;

    const put = (key: string, manifest: Record<string, unknown>) =>
      call(world.app, 'PUT', `/v1/modules/${MOD}`, { key, body: manifest });
    const invoke = (key: string) =>
      call(world.app, 'POST', '/v1/conversations/trip-1/invoke', {
        key,
        body: { module_id: MOD, action: 'current', input: { q: 'Oslo' } },
      });

    beforeEach(async () => {
      provider = await upstream().start();
      attacker = await upstream().start();
      world = await httpWorld(backend, { httpAllowPrivate: true });
      acme = await orgWithKeys(world.vault, 'acme');
      expect((await put(acme.keys.operator, httpModule(MOD, provider.url()))).statusCode).toBe(201);
      const stored = await call(world.app, 'PUT', `/v1/modules/${MOD}/credentials`, {
        key: acme.keys.owner,
        body: { credentials: { api_key: SECRET } },
      });
      expect(stored.statusCode).toBe(204);
    });

    afterEach(async () => {
      await world.close();
      await provider.stop();
      await attacker.stop();
    });

    const refusedWithoutChange = async (manifest: Record<string, unknown>) => {
      const before = (await call(world.app, 'GET', `/v1/modules/${MOD}`, { key: acme.keys.viewer })).json();
      const res = await put(acme.keys.operator, manifest);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'CREDENTIAL_DESTINATION' });
      const after = (await call(world.app, 'GET', `/v1/modules/${MOD}`, { key: acme.keys.viewer })).json();
      expect(after).toEqual(before);
      // The attempt is on the record: a denied event of the operator's key, naming why.
      const events = await world.vault.org(acme.orgId).audit.list({ limit: 5 });
      expect(events[0]).toMatchObject({
        action: 'denied',
        actorKeyId: acme.keyIds.operator,
        details: { reason: 'CREDENTIAL_DESTINATION', permission: 'manage_modules' },
      });
      // The invocation still goes where the owner's key was stored for, and only there.
      expect((await invoke(acme.keys.operator)).statusCode).toBe(200);
      expect(secretsSeen(attacker)).toBe(0);
      expect(attacker.seen).toHaveLength(0);
      expect(secretsSeen(provider)).toBe(1);
    };

    it('an operator pointing base_url at another origin is refused, and the attacker receives nothing', async () => {
      await refusedWithoutChange(httpModule(MOD, attacker.url()));
    });

    it('an operator pointing base_url at another path of another host spelling is refused', async () => {
      // Same server as the provider, named as localhost: another origin, so another destination.
      await refusedWithoutChange(httpModule(MOD, `${attacker.url('localhost')}/proxy/v2`));
    });

    it('an operator renaming the auth header (same host) is refused', async () => {
      await refusedWithoutChange(
        httpModule(MOD, provider.url(), { auth: { in: 'header', name: 'x-steal', credential: 'api_key' } }),
      );
      expect(provider.seen.some((r) => r.headers['x-steal'] !== undefined)).toBe(false);
    });

    it('an operator moving the credential into the query or dropping the auth section is refused', async () => {
      await refusedWithoutChange(
        httpModule(MOD, provider.url(), { auth: { in: 'query', name: 'echo', credential: 'api_key' } }),
      );
      const withoutAuth = httpModule(MOD, provider.url());
      delete (withoutAuth.http as Record<string, unknown>).auth;
      const res = await put(acme.keys.operator, withoutAuth);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'CREDENTIAL_DESTINATION' });
    });

    it('changes that keep the destination (version, path, actions, description) stay operator work', async () => {
      const manifest = httpModule(MOD, `${provider.url()}/data/2.5`, {
        actions: { current: { method: 'GET', path: '/weather', query: ['q', 'lang'] } },
      });
      manifest.version = '1.1.0';
      manifest.description = 'now with languages';
      const res = await put(acme.keys.operator, manifest);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ version: '1.1.0' });
      expect((await invoke(acme.keys.operator)).statusCode).toBe(200);
      expect(secretsSeen(provider)).toBe(1);
    });

    it('an owner may move the destination: the credential is re-sealed and follows, in the same change', async () => {
      const res = await put(acme.keys.owner, httpModule(MOD, attacker.url()));
      expect(res.statusCode).toBe(200);
      expect(await world.vault.org(acme.orgId).credentials.retrieve(MOD)).toEqual({ api_key: SECRET });
      expect((await invoke(acme.keys.operator)).statusCode).toBe(200);
      expect(secretsSeen(attacker)).toBe(1);
      const events = await world.vault.org(acme.orgId).audit.list({ limit: 10 });
      expect(events.find((e) => e.action === 'module.install')).toMatchObject({
        details: { credentials_resealed: true },
      });
    });

    it('the library (full power of its org) moves the destination with the credential too', async () => {
      const org = world.vault.org(acme.orgId);
      await org.modules.install(httpModule(MOD, attacker.url()));
      expect(await org.credentials.retrieve(MOD)).toEqual({ api_key: SECRET });
    });

    it('without stored credentials an operator may repoint the module freely', async () => {
      await call(world.app, 'DELETE', `/v1/modules/${MOD}/credentials`, { key: acme.keys.owner });
      expect((await put(acme.keys.operator, httpModule(MOD, attacker.url()))).statusCode).toBe(200);
    });

    it('another org storing nothing is not held back by acme’s credentials (same module id)', async () => {
      const globex = await orgWithKeys(world.vault, 'globex');
      expect((await put(globex.keys.operator, httpModule(MOD, provider.url()))).statusCode).toBe(201);
      expect((await put(globex.keys.operator, httpModule(MOD, attacker.url()))).statusCode).toBe(200);
      // ...and acme's module is untouched by globex's changes.
      expect((await invoke(acme.keys.operator)).statusCode).toBe(200);
      expect(secretsSeen(attacker)).toBe(0);
    });

    it('a manifest repointed by SQL, behind orgvault’s back, fails to decrypt and sends nothing', async () => {
      const tampered = httpModule(MOD, attacker.url());
      const changed = await rawSql(
        world.db,
        acme.orgId,
        'UPDATE modules SET manifest = ? WHERE org_id = ? AND module_id = ?',
        [JSON.stringify(tampered), acme.orgId, MOD],
      );
      expect(changed).toBe(1);
      await expect(world.vault.org(acme.orgId).credentials.retrieve(MOD)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
      await expect(
        world.vault
          .org(acme.orgId)
          .conversations.invoke('trip-2', { moduleId: MOD, action: 'current', input: {} }),
      ).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
      const res = await invoke(acme.keys.operator);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain(SECRET);
      expect(attacker.seen).toHaveLength(0);
    });

    it('a renamed auth header set by SQL fails closed as well', async () => {
      const tampered = httpModule(MOD, provider.url(), {
        auth: { in: 'header', name: 'x-steal', credential: 'api_key' },
      });
      await rawSql(
        world.db,
        acme.orgId,
        'UPDATE modules SET manifest = ? WHERE org_id = ? AND module_id = ?',
        [JSON.stringify(tampered), acme.orgId, MOD],
      );
      const res = await invoke(acme.keys.operator);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(provider.seen).toHaveLength(0);
    });
  });
}
