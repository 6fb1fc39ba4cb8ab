import { afterEach, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, orgWithKeys, testClock, wrongSecret } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';

const backends = await selectedBackends();

describe.each(backends.map((b) => [b.name, b] as const))('denied events on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world.close());

  it("a 403 refusal is audited in the caller's org as `denied`: method, route template and permission, never the URL, query or key", async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'denied');
    const target = (await world.vault.org(org.orgId).keys.create({ role: 'viewer', name: 'target' })).keyId;
    const audit = await call(world.app, 'GET', '/v1/audit?limit=5&before=99', { key: org.keys.viewer });
    expect(audit.statusCode).toBe(403);
    const revoke = await call(world.app, 'DELETE', `/v1/api-keys/${target}`, { key: org.keys.operator });
    expect(revoke.statusCode).toBe(403);

    const [second, first] = await world.vault.org(org.orgId).audit.list({ limit: 2 });
    expect(first).toMatchObject({
      action: 'denied',
      outcome: 'denied',
      actorKeyId: org.keyIds.viewer,
      requestId: audit.headers['x-request-id'],
      details: { method: 'GET', route: '/v1/audit', permission: 'read_audit' },
    });
    expect(second).toMatchObject({
      action: 'denied',
      actorKeyId: org.keyIds.operator,
      details: { method: 'DELETE', route: '/v1/api-keys/:key_id', permission: 'manage_keys' },
    });
    const stored = JSON.stringify([first, second]);
    for (const secret of [target, 'limit=', 'before', org.keys.viewer, org.keys.operator, 'ovk_']) {
      expect(stored).not.toContain(secret);
    }
    expect((await world.vault.system.verifyAuditChain(org.orgId)).ok).toBe(true);
  });

  it('unauthenticated 401s are not audited anywhere', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'anon');
    const before = await world.vault.org(org.orgId).audit.list({ limit: 500 });
    const defaultBefore = await world.vault.org('default').audit.list({ limit: 500 });
    for (const key of [undefined, wrongSecret(org.keys.viewer), 'ovk_nobody_nothing']) {
      expect((await call(world.app, 'GET', '/v1/audit', key === undefined ? {} : { key })).statusCode).toBe(
        401,
      );
    }
    expect(await world.vault.org(org.orgId).audit.list({ limit: 500 })).toEqual(before);
    expect(await world.vault.org('default').audit.list({ limit: 500 })).toEqual(defaultBefore);
  });

  it('a loop of 100 refusals writes at most 10 denied events a minute; the next one counts the suppressed', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const org = await orgWithKeys(world.vault, 'flood');
    const other = await orgWithKeys(world.vault, 'flood');
    const before = (await world.vault.org(org.orgId).audit.list({ limit: 500 })).length;
    for (let i = 0; i < 100; i++) {
      const res = await call(world.app, 'POST', '/v1/api-keys', {
        key: org.keys.viewer,
        body: { role: 'viewer' },
      });
      expect(res.statusCode).toBe(403);
      clock.advance(100); // 100 refusals within 10 seconds
    }
    const events = await world.vault.org(org.orgId).audit.list({ limit: 500 });
    const denied = events.filter((e) => e.action === 'denied');
    expect(events.length - before).toBe(10);
    expect(denied).toHaveLength(10);
    expect(denied.every((e) => e.details.suppressed === undefined)).toBe(true);
    // Another key's refusals have their own bound.
    expect((await call(world.app, 'GET', '/v1/audit', { key: other.keys.viewer })).statusCode).toBe(403);
    expect((await world.vault.org(other.orgId).audit.list({ limit: 1 }))[0]?.action).toBe('denied');

    clock.advance(60_000);
    expect((await call(world.app, 'GET', '/v1/audit', { key: org.keys.viewer })).statusCode).toBe(403);
    const [next] = await world.vault.org(org.orgId).audit.list({ limit: 1 });
    expect(next).toMatchObject({ action: 'denied', details: { route: '/v1/audit', suppressed: 90 } });
    expect((await world.vault.system.verifyAuditChain(org.orgId)).ok).toBe(true);
  });
});
