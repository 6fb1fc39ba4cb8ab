import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_SECONDS } from '../../src/console/session.js';
import { type HttpWorld, httpWorld, orgWithKeys, testClock } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { consoleRequest, csrfOf, secretOf, signIn, toSignIn } from './support.js';

const backends = await selectedBackends();

/** Sessions, cookies and CSRF of the console, over app.inject (the browser suite repeats the main ones). */
describe.each(backends.map((b) => [b.name, b] as const))('console sessions on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world?.close());

  it('the session cookie is HttpOnly, SameSite=Strict, path /console, not Secure over plain HTTP; the key is nowhere in the answers', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'cookie');
    const { client, signInResponse } = await signIn(world.app, org.keys.admin);
    const cookie = signInResponse.cookies.find((c) => c.name === 'orgvault_console');
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/console',
      maxAge: SESSION_SECONDS,
    });
    expect(cookie?.secure).toBeFalsy();
    expect(signInResponse.headers.location).toBe('/console');
    const secret = secretOf(org.keys.admin);
    expect(secret.length).toBeGreaterThan(20);
    expect(JSON.stringify(signInResponse.headers)).not.toContain(secret);
    expect(cookie?.value).not.toContain(secret);
    expect(Buffer.from(cookie?.value ?? '', 'base64url').toString('latin1')).not.toContain(secret);
    for (const url of ['/console', '/console/keys', '/console/audit']) {
      const res = await consoleRequest(world.app, client, 'GET', url);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(secret);
    }
  });

  it('behind a trusted TLS proxy the cookies are Secure; an untrusted X-Forwarded-Proto changes nothing', async () => {
    world = await httpWorld(backend, { trustProxy: 1 });
    const org = await orgWithKeys(world.vault, 'tls');
    const viaTls = await signIn(world.app, org.keys.viewer, { 'x-forwarded-proto': 'https' });
    const tlsCookies = viaTls.signInResponse.cookies;
    expect(tlsCookies.find((c) => c.name === 'orgvault_console')?.secure).toBe(true);
    await world.close();
    world = await httpWorld(backend);
    const org2 = await orgWithKeys(world.vault, 'tls');
    const direct = await signIn(world.app, org2.keys.viewer, { 'x-forwarded-proto': 'https' });
    expect(direct.signInResponse.cookies.find((c) => c.name === 'orgvault_console')?.secure).toBeFalsy();
  });

  it('a wrong key signs nobody in and says so, without echoing it', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'wrong');
    const client = { cookies: new Map<string, string>(), csrf: '' };
    client.csrf = csrfOf((await consoleRequest(world.app, client, 'GET', '/console/sign-in')).body);
    const wrong = `${org.keys.owner.slice(0, -2)}zz`;
    const res = await consoleRequest(world.app, client, 'POST', '/console/sign-in', { api_key: wrong });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('not accepted');
    expect(res.body).not.toContain(wrong);
    expect(client.cookies.has('orgvault_console')).toBe(false);
  });

  it('a POST without the CSRF token, or with another session’s token, is refused and changes nothing', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'csrf');
    const { client } = await signIn(world.app, org.keys.owner);
    const other = await signIn(world.app, org.keys.admin);
    const body = { manifest: JSON.stringify(manifest('weather/openweather')) };
    const missing = await consoleRequest(world.app, client, 'POST', '/console/modules', body, {
      csrf: false,
    });
    const foreign = await consoleRequest(
      world.app,
      { ...client, csrf: other.client.csrf },
      'POST',
      '/console/modules',
      body,
    );
    for (const res of [missing, foreign]) {
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('did not come from this console');
    }
    expect(await world.vault.org(org.orgId).modules.list()).toEqual([]);
    const denied = (await auditTrail(world.vault, org.orgId)).filter((e) => e.action === 'denied');
    expect(denied.map((e) => e.details.reason)).toEqual(['CSRF', 'CSRF']);
    const ok = await consoleRequest(world.app, client, 'POST', '/console/modules', body);
    expect(ok.statusCode).toBe(303);
  });

  it('revoking the key, its expiry, the end of a rotation grace and the session’s own age each end the session at once', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const org = await orgWithKeys(world.vault, 'ends');
    const door = world.vault.org(org.orgId);

    const revoked = await signIn(world.app, org.keys.admin);
    await door.keys.revoke(org.keyIds.admin);
    expect(toSignIn(await consoleRequest(world.app, revoked.client, 'GET', '/console'))).toBe(true);

    const expiring = await door.keys.create({
      role: 'viewer',
      expiresAt: new Date(clock().getTime() + 60_000).toISOString(),
    });
    const exp = await signIn(world.app, expiring.apiKey);
    clock.advance(61_000);
    expect(toSignIn(await consoleRequest(world.app, exp.client, 'GET', '/console'))).toBe(true);

    const rotating = await signIn(world.app, org.keys.operator);
    await door.keys.rotate(org.keyIds.operator, { graceSeconds: 60 });
    expect((await consoleRequest(world.app, rotating.client, 'GET', '/console')).statusCode).toBe(200);
    clock.advance(61_000);
    expect(toSignIn(await consoleRequest(world.app, rotating.client, 'GET', '/console'))).toBe(true);

    const aging = await signIn(world.app, org.keys.owner);
    clock.advance(SESSION_SECONDS * 1000 - 1000);
    expect((await consoleRequest(world.app, aging.client, 'GET', '/console')).statusCode).toBe(200);
    clock.advance(2000);
    const late = await consoleRequest(world.app, aging.client, 'GET', '/console');
    expect(toSignIn(late)).toBe(true);
    // The dead cookie is cleared on the way back to sign-in.
    expect(aging.client.cookies.has('orgvault_console')).toBe(false);
  });

  it('sign-out clears the session cookie', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'out');
    const { client } = await signIn(world.app, org.keys.viewer);
    const res = await consoleRequest(world.app, client, 'POST', '/console/sign-out');
    expect(res.statusCode).toBe(303);
    expect(client.cookies.has('orgvault_console')).toBe(false);
    expect(toSignIn(await consoleRequest(world.app, client, 'GET', '/console'))).toBe(true);
  });

  it('sign-out ends the session itself: a copy of the cookie taken before can neither read a page nor post; a new sign-in works', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const org = await orgWithKeys(world.vault, 'out-copy');
    const { client } = await signIn(world.app, org.keys.owner);
    const stolen = { cookies: new Map(client.cookies), csrf: client.csrf };
    expect((await consoleRequest(world.app, stolen, 'GET', '/console/keys')).statusCode).toBe(200);
    clock.advance(1000);
    expect((await consoleRequest(world.app, client, 'POST', '/console/sign-out')).statusCode).toBe(303);
    expect(client.cookies.has('orgvault_console')).toBe(false);
    const keysBefore = (await world.vault.org(org.orgId).keys.list()).length;
    expect(toSignIn(await consoleRequest(world.app, stolen, 'GET', '/console/keys'))).toBe(true);
    const copy = { cookies: new Map(stolen.cookies), csrf: stolen.csrf };
    const post = await consoleRequest(world.app, copy, 'POST', '/console/keys', {
      role: 'owner',
      name: 'after-sign-out',
      expires_in: '86400',
    });
    expect(post.statusCode === 303 ? toSignIn(post) : post.statusCode >= 400).toBe(true);
    expect((await world.vault.org(org.orgId).keys.list()).length).toBe(keysBefore);
    clock.advance(1000);
    const again = await signIn(world.app, org.keys.owner);
    expect((await consoleRequest(world.app, again.client, 'GET', '/console/keys')).statusCode).toBe(200);
  });

  it('console pages send a strict CSP, no framing, no referrer; the JSON API keeps its own headers and content types', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'hdr');
    const page = await world.app.inject({ url: '/console/sign-in' });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const api = await world.app.inject({ url: '/v1/me', headers: { 'x-api-key': org.keys.viewer } });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-security-policy']).toBeUndefined();
    expect(api.headers['set-cookie']).toBeUndefined();
    // A form body is still no way into the JSON API.
    const form = await world.app.inject({
      method: 'PUT',
      url: '/v1/modules/weather/openweather',
      headers: { 'x-api-key': org.keys.owner, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=openweather&category=weather&platform=openweather&version=1.0.0',
    });
    expect(form.statusCode).toBe(400);
    expect(form.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(form.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await world.vault.org(org.orgId).modules.list()).toEqual([]);
  });
});
