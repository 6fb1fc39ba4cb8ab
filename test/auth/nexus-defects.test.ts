import { afterEach, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, orgWithKeys, testClock } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';

const backends = await selectedBackends();

/** The NEXUS defects this issue owns (DESIGN.md 3, 4 and 7), each as a named test. */
describe.each(backends.map((b) => [b.name, b] as const))('NEXUS defects 3, 4, 7 on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world.close());

  describe('defect 3: credential routes had no role check; keys for any org with any role', () => {
    it('a viewer or an admin cannot store credentials (403), an owner can', async () => {
      world = await httpWorld(backend);
      const org = await orgWithKeys(world.vault);
      await world.vault.org(org.orgId).modules.install(manifest('weather/openweather'));
      const put = (key: string) =>
        call(world.app, 'PUT', '/v1/modules/weather/openweather/credentials', {
          key,
          body: { credentials: { api_key: 'sk-x' } },
        });
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const res = await put(org.keys[role]);
        expect(res.statusCode, role).toBe(403);
        expect(res.json().code).toBe('FORBIDDEN');
      }
      expect(await world.vault.org(org.orgId).credentials.has('weather/openweather')).toBe(false);
      expect((await put(org.keys.owner)).statusCode).toBe(204);
    });

    it('an admin cannot mint an owner key', async () => {
      world = await httpWorld(backend);
      const org = await orgWithKeys(world.vault);
      const before = (await world.vault.org(org.orgId).keys.list()).length;
      const res = await call(world.app, 'POST', '/v1/api-keys', {
        key: org.keys.admin,
        body: { role: 'owner' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
      expect((await world.vault.org(org.orgId).keys.list()).length).toBe(before);
      // Up to its own role is fine.
      const ok = await call(world.app, 'POST', '/v1/api-keys', {
        key: org.keys.admin,
        body: { role: 'admin' },
      });
      expect(ok.statusCode).toBe(201);
    });

    it('an admin cannot mint a key in another org', async () => {
      world = await httpWorld(backend);
      const a = await orgWithKeys(world.vault, 'a');
      const b = await orgWithKeys(world.vault, 'b');
      const before = (await world.vault.org(b.orgId).keys.list()).length;
      const res = await call(world.app, 'POST', '/v1/api-keys', {
        key: a.keys.admin,
        body: { role: 'viewer', org_id: b.orgId },
      });
      expect(res.statusCode).toBe(403);
      expect((await world.vault.org(b.orgId).keys.list()).length).toBe(before);
      // Without naming an org the key lands in the caller's own org, whatever else is sent.
      const own = await call(world.app, 'POST', '/v1/api-keys', {
        key: a.keys.admin,
        body: { role: 'viewer' },
      });
      expect(own.json().org_id).toBe(a.orgId);
    });

    it('an admin cannot rotate (and so obtain) an owner key, nor revoke one', async () => {
      world = await httpWorld(backend);
      const org = await orgWithKeys(world.vault);
      const rotate = await call(world.app, 'POST', `/v1/api-keys/${org.keyIds.owner}/rotate`, {
        key: org.keys.admin,
        body: {},
      });
      expect(rotate.statusCode).toBe(403);
      expect(rotate.body).not.toContain('ovk_');
      const revoke = await call(world.app, 'DELETE', `/v1/api-keys/${org.keyIds.owner}`, {
        key: org.keys.admin,
      });
      expect(revoke.statusCode).toBe(403);
      expect((await call(world.app, 'GET', '/v1/me', { key: org.keys.owner })).statusCode).toBe(200);
    });
  });

  describe('defect 4: revoke was not org-scoped; a grace period never expired', () => {
    it("revoking another org's key is 404 and the key keeps working", async () => {
      world = await httpWorld(backend);
      const a = await orgWithKeys(world.vault, 'a');
      const b = await orgWithKeys(world.vault, 'b');
      const res = await call(world.app, 'DELETE', `/v1/api-keys/${a.keyIds.viewer}`, { key: b.keys.owner });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
      expect((await call(world.app, 'GET', '/v1/me', { key: a.keys.viewer })).statusCode).toBe(200);
    });

    it('a rotated key works during its grace period and is refused after it ends', async () => {
      const clock = testClock();
      world = await httpWorld(backend, { clock });
      const org = await orgWithKeys(world.vault);
      const rotated = await call(world.app, 'POST', `/v1/api-keys/${org.keyIds.operator}/rotate`, {
        key: org.keys.owner,
        body: { grace_seconds: 3600 },
      });
      expect(rotated.statusCode).toBe(201);
      const fresh = rotated.json();
      expect(fresh.role).toBe('operator');
      expect(fresh.rotated_from).toBe(org.keyIds.operator);
      // The answer says until when the replaced key keeps working.
      expect(Date.parse(fresh.rotated_from_grace_until) - clock().getTime()).toBe(3600_000);
      const me = (key: string) => call(world.app, 'GET', '/v1/me', { key });

      clock.advance(3599_000);
      expect((await me(org.keys.operator)).statusCode).toBe(200);
      clock.advance(2_000);
      const refused = await me(org.keys.operator);
      expect(refused.statusCode).toBe(401);
      expect((await me(fresh.api_key)).statusCode).toBe(200);
      expect((await world.vault.org(org.orgId).keys.get(org.keyIds.operator))?.status).toBe('rotated');
    });

    it('the default grace period is 24 hours', async () => {
      const clock = testClock();
      world = await httpWorld(backend, { clock });
      const org = await orgWithKeys(world.vault);
      await call(world.app, 'POST', `/v1/api-keys/${org.keyIds.viewer}/rotate`, { key: org.keys.owner });
      clock.advance(24 * 3600_000 - 1000);
      expect((await call(world.app, 'GET', '/v1/me', { key: org.keys.viewer })).statusCode).toBe(200);
      clock.advance(2000);
      expect((await call(world.app, 'GET', '/v1/me', { key: org.keys.viewer })).statusCode).toBe(401);
    });
  });

  describe('defect 7: bootstrap was check-then-insert', () => {
    it('twenty concurrent bootstrap requests yield exactly one key, then 409', async () => {
      world = await httpWorld(backend);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => call(world.app, 'POST', '/v1/bootstrap')),
      );
      const created = results.filter((r) => r.statusCode === 201);
      const conflicts = results.filter((r) => r.statusCode === 409);
      expect(created).toHaveLength(1);
      expect(conflicts).toHaveLength(19);
      for (const c of conflicts) expect(c.json().code).toBe('CONFLICT');
      const keys = await world.vault.org('default').keys.list();
      expect(keys).toHaveLength(1);
      expect(keys[0]?.role).toBe('owner');
      const me = await call(world.app, 'GET', '/v1/me', { key: created[0]?.json().api_key });
      expect(me.json()).toMatchObject({ org_id: 'default', role: 'owner' });
      expect((await call(world.app, 'POST', '/v1/bootstrap')).statusCode).toBe(409);
    });

    it('twenty concurrent library bootstraps: one key', async () => {
      world = await httpWorld(backend);
      const settled = await Promise.allSettled(
        Array.from({ length: 20 }, () => world.vault.auth.bootstrap()),
      );
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      expect(await world.vault.org('default').keys.list()).toHaveLength(1);
    });

    it('bootstrap never reopens: once a key was issued it is 409 for ever, even when every key is revoked', async () => {
      world = await httpWorld(backend);
      const first = await world.vault.auth.bootstrap();
      await world.vault.org('default').keys.revoke(first.keyId);
      const again = await call(world.app, 'POST', '/v1/bootstrap');
      expect(again.statusCode).toBe(409);
      expect(again.body).not.toContain('ovk_');
    });
  });
});
