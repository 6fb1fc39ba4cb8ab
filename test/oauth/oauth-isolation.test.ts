import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { rawQuery } from '../support/raw-sql.js';
import {
  connect,
  invoke,
  MODULE,
  type OAuthWorld,
  oauthManifest,
  oauthWorld,
  orgWithClient,
} from './support/oauth-world.js';

const TOKEN = /\b(at|rt)-[0-9a-f]{8}-/;

/** Tenants and secrets: two orgs with the same module, a destination change, and where tokens never appear. */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] OAuth2 isolation and secrecy`, () => {
    let w: OAuthWorld;
    beforeEach(async () => {
      w = await oauthWorld(backend);
    });
    afterEach(async () => w.close());

    it('two orgs with the same module id and different clients never see each other’s tokens', async () => {
      const a = await orgWithClient(w, 'iso-a');
      const b = await orgWithClient(w, 'iso-b');
      await connect(w, a);
      await connect(w, b);
      const onA = await invoke(w, a.keys.operator, 'same-conv');
      const onB = await invoke(w, b.keys.operator, 'same-conv');
      expect(onA.json().result.body.issued_to).toBe(a.orgId);
      expect(onB.json().result.body.issued_to).toBe(b.orgId);
      // Each org's refresh goes out with its own client and its own refresh token.
      w.clock.advance(70_000);
      await invoke(w, a.keys.operator);
      await invoke(w, b.keys.operator);
      const refreshes = w.provider.refreshRequests();
      expect(refreshes.map((r) => r.clientId).sort()).toEqual([a.clientId, b.clientId].sort());
      expect(refreshes[0]?.refreshToken).not.toBe(refreshes[1]?.refreshToken);
      // B's owner cannot start or see A's connection through B's key (B's own module answers).
      const status = await call(w.app, 'GET', `/v1/modules/${MODULE}/credentials`, { key: b.keys.owner });
      expect(status.json().oauth.status).toBe('connected');
      expect(status.body).not.toContain(a.orgId);
    });

    it('an operator moving token_url to another origin is refused (CREDENTIAL_DESTINATION); the owner reseals', async () => {
      const org = await orgWithClient(w, 'dest');
      await connect(w, org);
      const moved = oauthManifest(w, 'authorization_code', { token_url: 'http://127.0.0.2:9/token' });
      const refused = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
        key: org.keys.operator,
        body: moved,
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'CREDENTIAL_DESTINATION' });
      expect((await invoke(w, org.keys.operator)).statusCode).toBe(200);
      // A change that keeps the origin (another path) is the operator's.
      const samePlace = oauthManifest(w, 'authorization_code', { token_url: `${w.provider.url}/token?x=1` });
      const kept = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, {
        key: org.keys.operator,
        body: samePlace,
      });
      expect(kept.statusCode, kept.body).toBe(200);
      const owner = await call(w.app, 'PUT', `/v1/modules/${MODULE}`, { key: org.keys.owner, body: moved });
      expect(owner.statusCode, owner.body).toBe(200);
    });

    it('no token in the database, logs, agent state, audit or API listings', async () => {
      const org = await orgWithClient(w, 'secret');
      await connect(w, org);
      await invoke(w, org.keys.operator, 'conv-s');
      w.clock.advance(70_000);
      await invoke(w, org.keys.operator, 'conv-s');
      const issued = w.provider.issuedAccessTokens();
      expect(issued.length).toBeGreaterThanOrEqual(2);

      const seen: string[] = [];
      seen.push(w.logs.join('\n'));
      for (const path of [
        '/v1/modules',
        `/v1/modules/${MODULE}`,
        `/v1/modules/${MODULE}/credentials`,
        '/v1/conversations/conv-s',
        '/v1/audit?limit=200',
      ]) {
        const res = await call(w.app, 'GET', path, { key: org.keys.owner });
        expect(res.statusCode, path).toBe(200);
        seen.push(res.body);
      }
      seen.push(JSON.stringify(await w.vault.org(org.orgId).conversations.get('conv-s')));
      seen.push(JSON.stringify(await auditTrail(w.vault, org.orgId)));
      for (const table of [
        'credentials',
        'oauth_connections',
        'oauth_states',
        'audit_events',
        'checkpoints',
        'modules',
      ]) {
        seen.push(JSON.stringify(await rawQuery(w.db, org.orgId, `SELECT * FROM ${table}`, [])));
      }
      if (w.db.options.databaseUrl.startsWith('sqlite:')) {
        const file = w.db.options.databaseUrl.slice('sqlite:'.length);
        for (const suffix of ['', '-wal']) {
          try {
            seen.push(readFileSync(`${file}${suffix}`).toString('latin1'));
          } catch {
            // No WAL file at this moment: nothing to search in it.
          }
        }
      }
      const all = seen.join('\n');
      expect(all).not.toMatch(TOKEN);
      for (const token of issued) expect(all).not.toContain(token);
      expect(all).not.toContain(org.clientSecret);
    });

    it('a token the upstream echoes back is scrubbed from the result, the renewed one too', async () => {
      const org = await orgWithClient(w, 'echo');
      await connect(w, org);
      const first = await invoke(w, org.keys.operator, 'conv-e', 'echo');
      expect(first.json().result.body).toEqual({ seen: 'Bearer [redacted]' });
      // Refused once (401, echoing the stale token), renewed, answered with the new one: both scrubbed.
      for (const token of w.provider.issuedAccessTokens()) w.provider.invalidate(token);
      const second = await invoke(w, org.keys.operator, 'conv-e', 'echo');
      expect(second.statusCode, second.body).toBe(200);
      expect(second.json().result.body).toEqual({ seen: 'Bearer [redacted]' });
      expect(w.provider.refreshRequests()).toHaveLength(1);
      expect(second.body).not.toMatch(TOKEN);
    });

    it('disconnect deletes the tokens and revokes the grant at the provider', async () => {
      const org = await orgWithClient(w, 'bye');
      await connect(w, org);
      const res = await call(w.app, 'DELETE', `/v1/modules/${MODULE}/credentials`, { key: org.keys.owner });
      expect(res.statusCode).toBe(204);
      expect(w.provider.revoked).toEqual([org.clientId]);
      expect(await rawQuery(w.db, org.orgId, 'SELECT * FROM oauth_connections', [])).toHaveLength(0);
      const after = await invoke(w, org.keys.operator);
      expect(after.statusCode).toBe(409);
    });

    it('storing new client credentials drops the old connection (its tokens were sealed with them)', async () => {
      const org = await orgWithClient(w, 'newclient');
      await connect(w, org);
      await w.vault
        .org(org.orgId)
        .credentials.store(MODULE, { client_id: org.clientId, client_secret: org.clientSecret });
      expect((await invoke(w, org.keys.operator)).json()).toMatchObject({ reason: 'OAUTH_REAUTH_REQUIRED' });
    });
  });
}
