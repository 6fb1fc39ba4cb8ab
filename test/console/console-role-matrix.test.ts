import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasPermission } from '../../src/auth/permissions.js';
import { type HttpWorld, httpWorld, orgWithKeys, ROLES } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { CONSOLE_CASES } from './console-cases.js';
import { consoleRequest, signIn, toSignIn } from './support.js';

const backends = await selectedBackends();

/**
 * Every console route x every role, signed in through the console: the same permission table as the
 * API. A role without the permission gets a 403 page, changes nothing and leaves one `denied` event;
 * without a session every route sends the caller to sign in.
 */
describe.each(backends.map((b) => [b.name, b] as const))('console role matrix on %s', (_name, backend) => {
  let world: HttpWorld;
  beforeEach(async () => {
    world = await httpWorld(backend);
  });
  afterEach(async () => world.close());

  it('the cases cover every console route of the app, with the permission it declares', () => {
    const sessionRoutes = world.app.routeTable.filter((r) => r.session);
    expect(sessionRoutes.length).toBeGreaterThan(15);
    for (const route of sessionRoutes) {
      for (const method of route.methods.filter((m) => m !== 'HEAD')) {
        const c = CONSOLE_CASES.find((x) => x.route === route.url && x.method === method);
        expect(c, `${method} ${route.url} has a console role-matrix case`).toBeDefined();
        expect(c?.permission, `${method} ${route.url}`).toBe(route.permission);
      }
    }
    for (const c of CONSOLE_CASES) {
      expect(
        sessionRoutes.some((r) => r.url === c.route && r.methods.includes(c.method)),
        `${c.method} ${c.route} is a console route`,
      ).toBe(true);
    }
  });

  for (const c of CONSOLE_CASES) {
    for (const role of ROLES) {
      const allowed = hasPermission(role, c.permission);
      it(`${c.method} ${c.route} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const org = await orgWithKeys(world.vault, 'cmatrix');
        const { client } = await signIn(world.app, org.keys[role]);
        const { url, form } = await c.prepare(world.vault, org);
        const before = await auditTrail(world.vault, org.orgId);
        const res = await consoleRequest(world.app, client, c.method, url, form);
        expect(toSignIn(res), res.body.slice(0, 300)).toBe(false);
        if (allowed) {
          expect(res.statusCode, res.body.slice(0, 500)).not.toBe(403);
          if (c.success !== null) expect(res.statusCode, res.body.slice(0, 500)).toBe(c.success);
        } else {
          expect(res.statusCode).toBe(403);
          expect(res.headers['content-type']).toMatch(/^text\/html/);
          expect(res.body).toContain('cannot do this');
          expect(res.body).not.toMatch(/\bat [\w.<>]+ \(/);
          const after = await auditTrail(world.vault, org.orgId);
          expect(after.length, 'a refused request writes one denied event').toBe(before.length + 1);
          expect(after[0]).toMatchObject({
            action: 'denied',
            outcome: 'denied',
            actorKeyId: org.keyIds[role],
            details: { method: c.method, route: c.route, permission: c.permission },
          });
        }
      });
    }
    it(`${c.method} ${c.route} without a session or with a forged cookie: back to sign-in, nothing done`, async () => {
      const org = await orgWithKeys(world.vault, 'canon');
      const { url, form } = await c.prepare(world.vault, org);
      const before = await auditTrail(world.vault, org.orgId);
      const none = await consoleRequest(world.app, { cookies: new Map(), csrf: 'x' }, c.method, url, form);
      const forged = await consoleRequest(
        world.app,
        {
          cookies: new Map([['orgvault_console', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']]),
          csrf: 'x',
        },
        c.method,
        url,
        form,
      );
      for (const res of [none, forged]) expect(toSignIn(res), `${res.statusCode}`).toBe(true);
      expect(await auditTrail(world.vault, org.orgId)).toEqual(before);
    });
  }

  it('an API key header does not open a console page (the console is session-only)', async () => {
    const org = await orgWithKeys(world.vault, 'cheader');
    const res = await world.app.inject({ url: '/console/modules', headers: { 'x-api-key': org.keys.owner } });
    expect(toSignIn(res)).toBe(true);
  });
});
