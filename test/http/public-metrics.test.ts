import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectedBackends } from '../support/backends.js';
import { call, type HttpWorld, httpWorld, testClock } from './support.js';

const backends = await selectedBackends();

/** The orgvault_* lines a scraper (or anyone: /metrics is public) sees about auth and requests. */
async function authLines(app: FastifyInstance): Promise<string[]> {
  const res = await call(app, 'GET', '/metrics');
  expect(res.statusCode).toBe(200);
  return res.body
    .split('\n')
    .filter((l) => /^orgvault_(auth_failures_total|http_requests_total)/.test(l))
    .sort();
}

/** Finding 3: public metrics must not tell a caller what its uniform 401 hides. */
describe.each(backends.map((b) => [b.name, b] as const))('public /metrics on %s', (_name, backend) => {
  const worlds: HttpWorld[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close();
  });
  // Each test's own clock (an expired key needs time to pass), shared by that test's worlds only.
  let clock = testClock();
  beforeEach(() => {
    clock = testClock();
  });
  const world = async () => {
    const w = await httpWorld(backend, { clock });
    worlds.push(w);
    return w;
  };

  it('after a revoked-key request /metrics shows no reason: one unlabelled auth-failure counter', async () => {
    const w = await world();
    const key = await w.vault.org().keys.create({ role: 'viewer' });
    expect(await w.vault.org().keys.revoke(key.keyId)).toBe(true);
    expect((await call(w.app, 'GET', '/v1/me', { key: key.apiKey })).statusCode).toBe(401);
    const res = await call(w.app, 'GET', '/metrics');
    expect(res.body).not.toMatch(/revoked/i);
    expect(res.body).not.toMatch(/orgvault_auth_failures_total\{/);
    expect(res.body).toMatch(/^orgvault_auth_failures_total 1$/m);
  });

  it('a revoked key, an expired key, an unknown key and no key leave exactly the same public metrics', async () => {
    const revoked = await world();
    const unknown = await world();
    const r = await revoked.vault.org().keys.create({ role: 'viewer' });
    await revoked.vault.org().keys.revoke(r.keyId);
    const e = await revoked.vault
      .org()
      .keys.create({ role: 'viewer', expiresAt: new Date(clock().getTime() + 1000) });
    clock.advance(2000);
    await call(revoked.app, 'GET', '/v1/me', { key: r.apiKey });
    await call(revoked.app, 'GET', '/v1/me', { key: e.apiKey });
    await call(unknown.app, 'GET', '/v1/me', { key: `ovk_0123456789abcdef_${'x'.repeat(43)}` });
    await call(unknown.app, 'GET', '/v1/me');
    const seen = await authLines(revoked.app);
    expect(seen).toContain('orgvault_auth_failures_total 2');
    expect(await authLines(unknown.app)).toEqual(seen);
  });
});
