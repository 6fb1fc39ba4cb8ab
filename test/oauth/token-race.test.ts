import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpModule } from '../agent/support/fixtures.js';
import { call, orgWithKeys } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import {
  connect,
  invoke,
  MODULE,
  type OAuthWorld,
  oauthManifest,
  oauthWorld,
} from './support/oauth-world.js';
import { TokenGate } from './support/token-gate.js';

/**
 * A renewal in flight (its token request held open by the test) neither blocks other writes nor
 * undoes what an owner does meanwhile: no transaction spans the token request, and its write
 * re-checks the credentials it asked with under the module row's lock.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 renewal racing other writes`, () => {
    let w: OAuthWorld;
    let gate: TokenGate;
    beforeEach(async () => {
      w = await oauthWorld(backend);
      gate = await new TokenGate(() => w.provider.url).start();
    });
    afterEach(async () => {
      await w.close();
      await gate.stop();
    });

    /** A connected org whose module's token endpoint is the gate; its token then about to expire. */
    async function expiringOrg(prefix: string) {
      const org = await orgWithKeys(w.vault, prefix);
      const clientId = `client-${org.orgId}`;
      const clientSecret = `secret-${org.orgId}-0123456789`;
      w.provider.register(clientId, clientSecret, org.orgId);
      await w.vault
        .org(org.orgId)
        .modules.install(oauthManifest(w, 'authorization_code', { token_url: gate.tokenUrl }));
      await w.vault
        .org(org.orgId)
        .credentials.store(MODULE, { client_id: clientId, client_secret: clientSecret });
      expect((await connect(w, org)).statusCode).toBe(200);
      w.clock.advance(70_000);
      return { ...org, clientId };
    }

    it("an owner's credential replace during a refresh stands: the refresh's answer is discarded", async () => {
      const org = await expiringOrg('race-put');
      const replacement = { client_id: `${org.clientId}-2`, client_secret: 'second-secret-0123456789' };
      w.provider.register(replacement.client_id, replacement.client_secret, org.orgId);
      const held = gate.hold();
      const invoked = invoke(w, org.keys.operator);
      await held.arrived;
      const put = await call(w.app, 'PUT', `/v1/modules/${MODULE}/credentials`, {
        key: org.keys.owner,
        body: { credentials: replacement },
      });
      expect(put.statusCode, put.body).toBe(204);
      held.release();
      const res = await invoked;
      // New client credentials end the connection: the call needs the owner to connect again.
      expect(res.json()).toMatchObject({ reason: 'OAUTH_REAUTH_REQUIRED' });
      expect(w.provider.refreshRequests()).toHaveLength(1);
      expect(await w.vault.org(org.orgId).credentials.retrieve(MODULE)).toEqual(replacement);
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.json().oauth).toMatchObject({ connected: false, status: 'not_connected' });
      const actions = (await auditTrail(w.vault, org.orgId)).map((e) => e.action);
      expect(actions).not.toContain('oauth.token');
    });

    it("an owner's credential delete during a refresh stands: nothing is resurrected", async () => {
      const org = await expiringOrg('race-del');
      const held = gate.hold();
      const invoked = invoke(w, org.keys.operator);
      await held.arrived;
      const deleted = await call(w.app, 'DELETE', `/v1/modules/${MODULE}/credentials`, {
        key: org.keys.owner,
      });
      expect(deleted.statusCode, deleted.body).toBe(204);
      held.release();
      const res = await invoked;
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(await w.vault.org(org.orgId).credentials.retrieve(MODULE)).toBeNull();
      expect(await w.vault.org(org.orgId).credentials.metadata(MODULE)).toBeNull();
      expect(w.provider.revoked).toEqual([org.clientId]);
    });

    it('a write in another org completes while a token request is held open', async () => {
      const org = await expiringOrg('race-slow');
      const other = await orgWithKeys(w.vault, 'race-other');
      const held = gate.hold();
      const invoked = invoke(w, org.keys.operator);
      await held.arrived;
      // Before the fix this waited for SQLite's writer, held by the refresh until the release below.
      const created = await call(w.app, 'POST', '/v1/api-keys', {
        key: other.keys.owner,
        body: { role: 'viewer' },
      });
      expect(created.statusCode, created.body).toBe(201);
      // And in the same org: an unrelated write does not wait for the provider either.
      const installed = await call(w.app, 'PUT', '/v1/modules/search/other', {
        key: org.keys.operator,
        body: httpModule('search/other', w.upstream.url()),
      });
      expect(installed.statusCode, installed.body).toBe(201);
      held.release();
      const res = await invoked;
      expect(res.statusCode, res.body).toBe(200);
      expect(w.provider.refreshRequests()).toHaveLength(1);
    });
  });
}
