import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { invoke, MODULE, type OAuthWorld, oauthWorld, orgWithClient } from './support/oauth-world.js';

/** The client-credentials grant: the token is fetched when first needed and cached sealed until it expires. */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 client credentials`, () => {
    let w: OAuthWorld;
    beforeEach(async () => {
      w = await oauthWorld(backend);
    });
    afterEach(async () => w.close());

    it('fetches a token on first use, reuses it, and fetches a new one once it expires', async () => {
      const org = await orgWithClient(w, 'cc', 'client_credentials');
      const meta = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(meta.json().oauth).toMatchObject({ connected: false, status: 'not_connected' });
      expect(w.provider.tokenRequests).toHaveLength(0);

      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => invoke(w, org.keys.operator, `cc-${i}`)),
      );
      for (const res of answers) expect(res.statusCode, res.body).toBe(200);
      expect(answers[0]?.json().result.body).toEqual({ events: ['standup'], issued_to: org.orgId });
      expect(w.provider.tokenRequests.map((r) => r.grant)).toEqual(['client_credentials']);
      expect(w.provider.tokenRequests[0]?.clientId).toBe(org.clientId);

      expect((await invoke(w, org.keys.operator)).statusCode).toBe(200);
      expect(w.provider.tokenRequests).toHaveLength(1);
      const after = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: org.keys.viewer });
      expect(after.json().oauth).toMatchObject({ connected: true, status: 'connected' });

      w.clock.advance(70_000);
      expect((await invoke(w, org.keys.operator)).statusCode).toBe(200);
      expect(w.provider.tokenRequests.map((r) => r.grant)).toEqual([
        'client_credentials',
        'client_credentials',
      ]);
    });

    it('a wrong client secret is a failed module call (502 MODULE_CALL_FAILED), the secret never echoed', async () => {
      const org = await orgWithClient(w, 'ccbad', 'client_credentials');
      await w.vault
        .org(org.orgId)
        .credentials.store(MODULE, { client_id: org.clientId, client_secret: 'wrong-secret-000' });
      const res = await invoke(w, org.keys.operator);
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ reason: 'MODULE_CALL_FAILED' });
      expect(res.body).not.toContain('wrong-secret-000');
    });
  });
}
