import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import {
  connect,
  invoke,
  MODULE,
  type OAuthWorld,
  oauthWorld,
  orgWithClient,
} from './support/oauth-world.js';

/**
 * Renewal of access tokens: before expiry (within 60 s), once after a 401, one token request per
 * (org, module) however many calls race, rotated refresh tokens kept, an answer without a refresh
 * token keeping the old one, and invalid_grant turning the connection to needs_reauth.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 token renewal`, () => {
    let w: OAuthWorld;
    beforeEach(async () => {
      w = await oauthWorld(backend);
    });
    afterEach(async () => w.close());

    const ok = async (key: string) => {
      const res = await invoke(w, key);
      expect(res.statusCode, res.body).toBe(200);
      return res;
    };

    it('10 concurrent invokes after expiry make exactly one refresh request, and all succeed', async () => {
      const org = await orgWithClient(w, 'flight');
      expect((await connect(w, org)).statusCode).toBe(200);
      await ok(org.keys.operator);
      // 120 s tokens: 70 s on, the token expires within the 60 s margin.
      w.clock.advance(70_000);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => invoke(w, org.keys.operator, `conv-${i}`)),
      );
      for (const res of answers) expect(res.statusCode, res.body).toBe(200);
      expect(w.provider.refreshRequests()).toHaveLength(1);
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.json().oauth.expires_at).toBe(new Date(w.clock().getTime() + 120_000).toISOString());
    });

    it('keeps the rotated refresh token over two refreshes', async () => {
      const org = await orgWithClient(w, 'rotate');
      await connect(w, org);
      w.clock.advance(70_000);
      await ok(org.keys.operator);
      w.clock.advance(70_000);
      // The provider accepts only the newest refresh token: this works only if the rotated one was kept.
      await ok(org.keys.operator);
      const refreshes = w.provider.refreshRequests();
      expect(refreshes).toHaveLength(2);
      expect(refreshes[0]?.refreshToken).not.toBe(refreshes[1]?.refreshToken);
      const details = (await auditTrail(w.vault, org.orgId))
        .filter((e) => e.action === 'oauth.token')
        .map((e) => e.details);
      expect(details).toEqual([
        { grant: 'refresh_token', refresh_token_rotated: true },
        { grant: 'refresh_token', refresh_token_rotated: true },
      ]);
    });

    it('an answer without a refresh token keeps the old one', async () => {
      const org = await orgWithClient(w, 'keep');
      await connect(w, org);
      w.provider.omitRefreshToken = true;
      w.clock.advance(70_000);
      await ok(org.keys.operator);
      w.clock.advance(70_000);
      await ok(org.keys.operator);
      const refreshes = w.provider.refreshRequests();
      expect(refreshes).toHaveLength(2);
      expect(refreshes[1]?.refreshToken).toBe(refreshes[0]?.refreshToken);
      expect(refreshes[0]?.refreshToken).toMatch(/^rt-/);
    });

    it('renews once after a 401 for an unexpired token, and not again when the new one is refused too', async () => {
      const org = await orgWithClient(w, 'rejected');
      await connect(w, org);
      const first = w.provider.tokenRequests.length;
      // The upstream stops accepting the token before its expiry (revoked on its side).
      for (const token of w.provider.issuedAccessTokens()) w.provider.invalidate(token);
      await ok(org.keys.operator);
      expect(w.provider.refreshRequests()).toHaveLength(1);
      expect(w.provider.tokenRequests.length).toBe(first + 1);

      // Every token refused: one renewal, then the second 401 stands (a failure, no loop).
      w.provider.rejectAll = true;
      const res = await invoke(w, org.keys.operator);
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ reason: 'MODULE_CALL_FAILED' });
      expect(w.provider.refreshRequests()).toHaveLength(2);
    });

    it('invalid_grant: needs_reauth, health unhealthy, an audit event, 409 until reconnected', async () => {
      const org = await orgWithClient(w, 'reauth');
      await connect(w, org);
      w.provider.grantRevoked = true;
      w.clock.advance(70_000);
      const refused = await invoke(w, org.keys.operator);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'CONFLICT', reason: 'OAUTH_REAUTH_REQUIRED' });
      const module = await w.vault.org(org.orgId).modules.get(MODULE);
      expect(module?.healthStatus).toBe('unhealthy');
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.json().oauth).toMatchObject({ connected: false, status: 'needs_reauth' });
      const events = await auditTrail(w.vault, org.orgId);
      expect(events.find((e) => e.action === 'oauth.needs_reauth')).toMatchObject({
        outcome: 'failure',
        details: { reason: 'invalid_grant' },
      });

      // No more token requests while it needs re-authorization.
      const requests = w.provider.tokenRequests.length;
      expect((await invoke(w, org.keys.operator)).json()).toMatchObject({ reason: 'OAUTH_REAUTH_REQUIRED' });
      expect(w.provider.tokenRequests.length).toBe(requests);

      w.provider.grantRevoked = false;
      expect((await connect(w, org)).statusCode).toBe(200);
      await ok(org.keys.operator);
      expect((await w.vault.org(org.orgId).modules.get(MODULE))?.healthStatus).toBe('healthy');
    });

    it('a token endpoint failure other than invalid_grant counts against the breaker, not as reauth', async () => {
      const org = await orgWithClient(w, 'down');
      await connect(w, org);
      w.provider.unavailable = true;
      w.clock.advance(70_000);
      const res = await invoke(w, org.keys.operator);
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ code: 'INTERNAL', reason: 'MODULE_CALL_FAILED' });
      const module = await w.vault.org(org.orgId).modules.get(MODULE);
      expect(module?.failureCount).toBe(1);
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.json().oauth.status).toBe('connected');
    });
  });
}
