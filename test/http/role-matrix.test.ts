import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasPermission } from '../../src/auth/permissions.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { ROUTE_CASES } from './route-catalogue.js';
import { call, type HttpWorld, httpWorld, orgWithKeys, ROLES, wrongSecret } from './support.js';

const backends = await selectedBackends();

/**
 * Every route x every role against the permission table (src/auth/permissions.ts), over real HTTP
 * requests. A role without the permission gets 403 and changes nothing; one with it gets through.
 * Every test has a database of its own; a route of the catalogue the app does not register fails.
 */
describe.each(backends.map((b) => [b.name, b] as const))('role matrix on %s', (_name, backend) => {
  let world: HttpWorld;
  beforeEach(async () => {
    world = await httpWorld(backend);
  });
  afterEach(async () => world.close());

  const expectRegistered = (c: (typeof ROUTE_CASES)[number]) =>
    expect(
      world.app.routeTable.some((r) => r.url === c.route && r.methods.includes(c.method)),
      `${c.method} ${c.route} is registered by the app`,
    ).toBe(true);

  it('the catalogue covers every authenticated route of the app, with the permission it declares', () => {
    for (const route of world.app.routeTable) {
      // Console pages authenticate by session: test/console/console-role-matrix.test.ts covers them.
      if (route.public || route.session) continue;
      for (const method of route.methods.filter((m) => m !== 'HEAD')) {
        const c = ROUTE_CASES.find((x) => x.route === route.url && x.method === method);
        expect(c, `${method} ${route.url} has a role-matrix case`).toBeDefined();
        expect(c?.permission, `${method} ${route.url}`).toBe(route.permission);
      }
    }
  });

  for (const c of ROUTE_CASES) {
    for (const role of ROLES) {
      const allowed = hasPermission(role, c.permission);
      it(`${c.method} ${c.route} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        expectRegistered(c);
        const org = await orgWithKeys(world.vault, 'matrix');
        const { url, body, headers } = await c.prepare(world.vault, org);
        const auditBefore = (await auditTrail(world.vault, org.orgId)).length;
        const res = await call(world.app, c.method, url, { key: org.keys[role], body, headers });
        if (allowed) {
          expect([401, 403], res.body).not.toContain(res.statusCode);
          if (c.success !== null) expect(res.statusCode, res.body).toBe(c.success);
        } else {
          expect(res.statusCode, res.body).toBe(403);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.json()).toMatchObject({ code: 'FORBIDDEN', status: 403 });
          // A refused request changes nothing; the refusal itself is audited, once, as `denied`.
          const auditAfter = await auditTrail(world.vault, org.orgId);
          expect(auditAfter.length, 'a refused request writes one denied event').toBe(auditBefore + 1);
          expect(auditAfter[0]).toMatchObject({
            action: 'denied',
            outcome: 'denied',
            actorKeyId: org.keyIds[role],
            details: { method: c.method, route: c.route, permission: c.permission },
          });
        }
      });
    }
    it(`${c.method} ${c.route} without a key or with a wrong key: the same 401`, async () => {
      expectRegistered(c);
      const org = await orgWithKeys(world.vault, 'anon');
      const { url, body, headers } = await c.prepare(world.vault, org);
      const none = await call(world.app, c.method, url, { body, headers });
      const wrong = await call(world.app, c.method, url, { body, headers, key: wrongSecret(org.keys.owner) });
      for (const res of [none, wrong]) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      }
    });
  }
});
