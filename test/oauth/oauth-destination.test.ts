import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { call } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import {
  connect,
  MODULE,
  type OAuthWorld,
  oauthManifest,
  oauthWorld,
  orgWithClient,
} from './support/oauth-world.js';

/**
 * The OAuth2 endpoints that receive the client secret, a token or the owner's browser (revocation,
 * authorization) and the pkce flag are part of the credentials' destination: an operator (no
 * manage_credentials) cannot move them, so a later delete never sends the grant to its server.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 destination binding`, () => {
    let w: OAuthWorld;
    let capture: ModuleServer;
    beforeEach(async () => {
      w = await oauthWorld(backend);
      capture = await new ModuleServer()
        .route('POST', '/revoke', (_req, res) => json(res, 200, {}))
        .route('GET', '/authorize', (_req, res) => json(res, 200, {}))
        .start();
    });
    afterEach(async () => {
      await w.close();
      await capture.stop();
    });

    const changes: [string, () => Record<string, unknown>][] = [
      ['revocation_url', () => ({ revocation_url: `${capture.url()}/revoke` })],
      ['authorization_url', () => ({ authorization_url: `${capture.url()}/authorize` })],
      ['pkce', () => ({ pkce: false })],
    ];
    for (const [field, extra] of changes) {
      it(`an operator changing oauth2.${field} is refused; nothing changes; the owner's delete revokes at the provider`, async () => {
        const org = await orgWithClient(w, `dest-${field.slice(0, 4)}`);
        expect((await connect(w, org)).statusCode).toBe(200);
        const before = await call(w.app, 'GET', `/v1/modules/${MODULE}`, { key: org.keys.owner });
        const refused = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
          key: org.keys.operator,
          body: oauthManifest(w, 'authorization_code', extra()),
        });
        expect(refused.statusCode, refused.body).toBe(403);
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'CREDENTIAL_DESTINATION' });
        const after = await call(w.app, 'GET', `/v1/modules/${MODULE}`, { key: org.keys.owner });
        expect(after.json()).toEqual(before.json());

        const deleted = await call(w.app, 'DELETE', `/v1/modules/${MODULE}/credentials`, {
          key: org.keys.owner,
        });
        expect(deleted.statusCode, deleted.body).toBe(204);
        expect(w.provider.revoked).toEqual([org.clientId]);
        expect(capture.seen).toEqual([]);
      });
    }

    it('an owner may change them (credential work), and an unchanged pkce default is no change', async () => {
      const org = await orgWithClient(w, 'dest-own');
      // pkce absent means true: writing it out is not a move.
      const explicit = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
        key: org.keys.operator,
        body: oauthManifest(w, 'authorization_code', { pkce: true }),
      });
      expect(explicit.statusCode, explicit.body).toBe(200);
      const moved = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
        key: org.keys.owner,
        body: oauthManifest(w, 'authorization_code', { revocation_url: `${capture.url()}/revoke` }),
      });
      expect(moved.statusCode, moved.body).toBe(200);
      // Re-sealed for the new destination: the credentials still open.
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.statusCode, meta.body).toBe(200);
      expect((await w.vault.org(org.orgId).credentials.retrieve(MODULE))?.client_id).toBe(org.clientId);
    });
  });
}
