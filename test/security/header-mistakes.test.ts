import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpModule } from '../agent/support/fixtures.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { call, type HttpWorld, httpWorld, type OrgKeys, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';

/**
 * Review finding: a header name that is not an HTTP token, or a stored credential with a line
 * break, made Node refuse the request and came back as 502 MODULE_CALL_FAILED, counted against the
 * module's health. Both are set-up mistakes: the name is refused at install (400), the value at
 * invocation is a 409 that leaves the health alone, and nothing is sent.
 */
const MOD = 'tools/headers';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] header mistakes are the caller's, never a 5xx`, () => {
    let world: HttpWorld;
    let upstream: ModuleServer;
    let acme: OrgKeys;
    beforeEach(async () => {
      upstream = await new ModuleServer().route('GET', '/weather', (_q, res) => json(res, 200, {})).start();
      world = await httpWorld(backend, { httpAllowPrivate: true });
      acme = await orgWithKeys(world.vault, 'acme');
    });
    afterEach(async () => {
      await world.close();
      await upstream.stop();
    });

    it('a header name with a space (or a colon) is refused at install', async () => {
      for (const name of ['x key', 'x-key:', 'x\tkey']) {
        const res = await call(world.app, 'PUT', `/v1/modules/${MOD}`, {
          key: acme.keys.operator,
          body: httpModule(MOD, upstream.url(), { auth: { in: 'header', name, credential: 'api_key' } }),
        });
        expect(res.statusCode, name).toBe(400);
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('a credential with a line break is a 409 at invocation, sends nothing and leaves the health alone', async () => {
      const put = await call(world.app, 'PUT', `/v1/modules/${MOD}`, {
        key: acme.keys.operator,
        body: httpModule(MOD, upstream.url()),
      });
      expect(put.statusCode).toBe(201);
      await world.vault.org(acme.orgId).credentials.store(MOD, { api_key: 'abc\r\nX-Injected: 1' });
      const res = await call(world.app, 'POST', '/v1/conversations/c1/invoke', {
        key: acme.keys.operator,
        body: { module_id: MOD, action: 'current', input: { q: 'Oslo' } },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CONFLICT', reason: 'MODULE_NOT_EXECUTABLE' });
      expect(res.body).not.toContain('X-Injected');
      expect(upstream.seen).toHaveLength(0);
      const module = await world.vault.org(acme.orgId).modules.get(MOD);
      expect(module?.failureCount).toBe(0);
    });
  });
}
