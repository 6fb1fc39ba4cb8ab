import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { rawQuery } from '../support/raw-sql.js';
import {
  authorize,
  callback,
  invoke,
  MODULE,
  type OAuthWorld,
  oauthWorld,
  orgWithClient,
  PUBLIC_URL,
  providerRedirect,
} from './support/oauth-world.js';

/**
 * The authorization-code flow against a real authorization server on loopback: authorize (state,
 * PKCE S256), the provider's redirect, the callback (state checked and used up, code exchanged,
 * tokens sealed), then invocations with the token and its renewal.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 authorization code`, () => {
    let w: OAuthWorld;
    beforeEach(async () => {
      w = await oauthWorld(backend);
    });
    afterEach(async () => w.close());

    it('connects with PKCE S256 and a hashed single-use state, then invokes with the token', async () => {
      const org = await orgWithClient(w, 'flow');
      const started = await authorize(w, org.keys.owner);
      expect(started.statusCode, started.body).toBe(200);
      const url = new URL(started.json().authorization_url);
      expect(`${url.origin}${url.pathname}`).toBe(`${w.provider.url}/authorize`);
      const q = url.searchParams;
      expect(q.get('response_type')).toBe('code');
      expect(q.get('client_id')).toBe(org.clientId);
      expect(q.get('redirect_uri')).toBe(`${PUBLIC_URL}/v1/oauth/callback`);
      expect(q.get('scope')).toBe('calendar.read calendar.write');
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const state = q.get('state') as string;
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Only a hash of the state is stored, never the state (nor the verifier in the clear).
      const rows = await rawQuery(w.db, org.orgId, 'SELECT * FROM oauth_states', []);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(state);

      const redirect = await providerRedirect(url.href);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(`${PUBLIC_URL}/v1/oauth/callback`);
      const done = await callback(w, redirect);
      expect(done.statusCode, done.body).toBe(200);
      expect(done.headers['content-type']).toMatch(/^text\/html/);
      expect(done.body).toContain('connected');
      expect(w.provider.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
      expect(await rawQuery(w.db, org.orgId, 'SELECT * FROM oauth_states', [])).toHaveLength(0);

      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.statusCode).toBe(200);
      expect(meta.json().oauth).toEqual({
        connected: true,
        scopes: ['calendar.read', 'calendar.write'],
        expires_at: new Date(w.clock().getTime() + 120_000).toISOString(),
        status: 'connected',
      });
      expect(meta.body).not.toMatch(/at-|rt-/);

      const res = await invoke(w, org.keys.operator);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().result).toEqual({ status: 200, body: { events: ['standup'], issued_to: org.orgId } });
      expect(w.provider.tokenRequests).toHaveLength(1);
      const events = (await auditTrail(w.vault, org.orgId)).map((e) => e.action);
      expect(events).toContain('oauth.authorize');
      expect(events).toContain('oauth.connect');
    });

    it('refuses a replayed state, a forged one and an expired one; nothing is stored', async () => {
      const org = await orgWithClient(w, 'replay');
      const first = await providerRedirect((await authorize(w, org.keys.owner)).json().authorization_url);
      expect((await callback(w, first)).statusCode).toBe(200);
      // The same redirect again: its state is used up.
      const replay = await callback(w, first, 'application/json');
      expect(replay.statusCode).toBe(400);
      expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(replay.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        reason: 'OAUTH_AUTHORIZATION_FAILED',
      });

      const forged = new URL(first);
      forged.searchParams.set('state', 'A'.repeat(43));
      const forgedRes = await callback(w, forged);
      expect(forgedRes.statusCode).toBe(400);
      expect(forgedRes.body).toContain('unknown, already used or expired');
      const junk = await w.app.inject({ method: 'GET', url: '/v1/oauth/callback?code=x' });
      expect(junk.statusCode).toBe(400);

      const late = await providerRedirect((await authorize(w, org.keys.owner)).json().authorization_url);
      w.clock.advance(10 * 60 * 1000 + 1);
      expect((await callback(w, late)).statusCode).toBe(400);
      // One code exchange in all: the refused callbacks never reached the token endpoint.
      expect(w.provider.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
    });

    it('shows a provider error (access_denied) plainly and stores nothing', async () => {
      const org = await orgWithClient(w, 'denied');
      const redirect = await providerRedirect((await authorize(w, org.keys.owner)).json().authorization_url);
      redirect.searchParams.delete('code');
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_description', '<script>alert(1)</script>');
      const res = await callback(w, redirect);
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('access_denied');
      expect(res.body).not.toContain('<script>');
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.owner });
      expect(meta.json().oauth).toMatchObject({ connected: false, status: 'not_connected' });
      expect(w.provider.tokenRequests).toHaveLength(0);
      expect((await invoke(w, org.keys.owner)).json()).toMatchObject({
        status: 409,
        code: 'CONFLICT',
        reason: 'OAUTH_REAUTH_REQUIRED',
      });
    });

    it('redirects to a return_to under /console; refuses any other return_to', async () => {
      const org = await orgWithClient(w, 'return');
      const started = await authorize(w, org.keys.owner, { return_to: '/console/modules?tab=oauth' });
      const res = await callback(w, await providerRedirect(started.json().authorization_url));
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/console/modules?tab=oauth');
      for (const bad of [
        'https://evil.test/console',
        '//evil.test/console',
        '/v1/me',
        '/console\\..',
        '/consolex',
      ]) {
        const refused = await authorize(w, org.keys.owner, { return_to: bad });
        expect(refused.statusCode, bad).toBe(400);
        expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('refuses the callback once the key that started it is revoked', async () => {
      const org = await orgWithClient(w, 'revoked');
      const redirect = await providerRedirect((await authorize(w, org.keys.owner)).json().authorization_url);
      await w.vault.org(org.orgId).keys.revoke(org.keyIds.owner);
      const res = await callback(w, redirect);
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('no longer valid');
      expect(w.provider.tokenRequests).toHaveLength(0);
    });

    it('refuses authorize for a module without the authorization_code grant or without a client', async () => {
      const org = await orgWithClient(w, 'noclient');
      await w.vault.org(org.orgId).credentials.delete(MODULE);
      const res = await authorize(w, org.keys.owner);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CONFLICT', reason: 'MODULE_NOT_EXECUTABLE' });
      const missing = await call(w.app, 'POST', '/v1/modules/calendar/none/oauth/authorize', {
        key: org.keys.owner,
      });
      expect(missing.statusCode).toBe(404);
    });
  });
}
