import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { call } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { rawSql } from '../support/raw-sql.js';
import {
  authorize,
  callback,
  connect,
  invoke,
  MODULE,
  type OAuthWorld,
  oauthManifest,
  oauthWorld,
  orgWithClient,
  providerRedirect,
} from './support/oauth-world.js';

/**
 * The key rule of the callback is key verification's, Basic pairs of an OAuth2 module are
 * scrubbed as any module's, and uninstalling an OAuth2 module revokes its grant as a delete does.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 review fixes`, () => {
    let w: OAuthWorld;
    beforeEach(async () => {
      w = await oauthWorld(backend);
    });
    afterEach(async () => w.close());

    it('refuses the callback when the key that started it is rotation_pending without a grace end', async () => {
      const org = await orgWithClient(w, 'nograce');
      const redirect = await providerRedirect((await authorize(w, org.keys.owner)).json().authorization_url);
      // A state key verification already refuses (GRACE_EXPIRED), written behind orgvault's back.
      const changed = await rawSql(
        w.db,
        org.orgId,
        "UPDATE api_keys SET status = 'rotation_pending', grace_until = NULL WHERE org_id = ? AND key_id = ?",
        [org.orgId, org.keyIds.owner],
      );
      expect(changed).toBe(1);
      expect((await call(w.app, 'GET', '/v1/modules', { key: org.keys.owner })).statusCode).toBe(401);
      const res = await callback(w, redirect);
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('no longer valid');
      expect(w.provider.tokenRequests).toHaveLength(0);
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.admin });
      expect(meta.json().oauth).toMatchObject({ connected: false, status: 'not_connected' });
    });

    it('an upstream echoing the Basic header of an OAuth2 module sees it redacted whole', async () => {
      const echo = await new ModuleServer()
        .route('GET', '/echo', (req, res) => json(res, 200, { authorization: req.headers.authorization }))
        .start();
      try {
        const org = await orgWithClient(w, 'basic', 'client_credentials');
        const manifest = oauthManifest(w, 'client_credentials');
        manifest.http = {
          base_url: echo.url(),
          auth: { in: 'basic', username: 'client_id', password: 'client_secret' },
          actions: { events: { method: 'GET', path: '/echo' } },
        };
        const put = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
          key: org.keys.owner,
          body: manifest,
        });
        expect(put.statusCode, put.body).toBe(200);
        const res = await invoke(w, org.keys.operator);
        expect(res.statusCode, res.body).toBe(200);
        // The call did go out with the pair (and a renewed token was in hand: the OAuth2 path).
        expect(echo.seen[0]?.headers.authorization).toBe(
          `Basic ${Buffer.from(`${org.clientId}:${org.clientSecret}`).toString('base64')}`,
        );
        expect(w.provider.tokenRequests.map((r) => r.grant)).toEqual(['client_credentials']);
        expect(res.json().result).toEqual({ status: 200, body: { authorization: 'Basic [redacted]' } });
      } finally {
        await echo.stop();
      }
    });

    it('uninstalling an OAuth2 module revokes its grant at the provider, after commit', async () => {
      const org = await orgWithClient(w, 'uninst');
      await connect(w, org);
      const removed = await call(w.app, 'DELETE', `/v1/modules/${MODULE}`, { key: org.keys.admin });
      expect(removed.statusCode, removed.body).toBe(204);
      expect(w.provider.revoked).toEqual([org.clientId]);
      expect(await w.vault.org(org.orgId).modules.get(MODULE)).toBeNull();
      expect(await w.vault.org(org.orgId).credentials.retrieve(MODULE)).toBeNull();
      const uninstall = (await auditTrail(w.vault, org.orgId)).find((e) => e.action === 'module.uninstall');
      expect(uninstall?.details).toEqual({ credentials_removed: true });
    });

    it('a revocation endpoint that fails does not fail the uninstall', async () => {
      const org = await orgWithClient(w, 'uninst-down');
      await connect(w, org);
      await w.provider.stop();
      const removed = await call(w.app, 'DELETE', `/v1/modules/${MODULE}`, { key: org.keys.admin });
      expect(removed.statusCode, removed.body).toBe(204);
      expect(await w.vault.org(org.orgId).modules.get(MODULE)).toBeNull();
      await w.provider.start();
    });
  });
}
