import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';

const M = 'calendar/gcal';

function manifest(oauth2: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'gcal',
    category: 'calendar',
    platform: 'gcal',
    version: '1.0.0',
    auth_type: 'oauth2',
    oauth2,
    ...extra,
  };
}

const valid = {
  grant: 'authorization_code',
  authorization_url: 'https://accounts.example.test/o/oauth2/auth',
  token_url: 'https://oauth2.example.test/token',
  scopes: ['calendar.readonly'],
};

/** The manifest's oauth2 section is validated at install: a bad one is a 400 and nothing is installed. */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] manifest oauth2 section`, () => {
    let world: HttpWorld;
    beforeEach(async () => {
      world = await httpWorld(backend);
    });
    afterEach(async () => world.close());

    it('accepts a valid section and stores it exactly as given (no defaults written in)', async () => {
      const org = await orgWithKeys(world.vault, 'mf');
      const body = manifest({ ...valid, authorize_params: { access_type: 'offline', prompt: 'consent' } });
      const res = await call(world.app, 'PUT', `/v1/modules/${M}`, { key: org.keys.operator, body });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().manifest.oauth2).toEqual(body.oauth2);
      const cc = manifest({ grant: 'client_credentials', token_url: 'https://oauth2.example.test/token' });
      expect(
        (await call(world.app, 'PUT', `/v1/modules/${M}`, { key: org.keys.owner, body: cc })).statusCode,
      ).toBe(200);
    });

    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['no token_url', manifest({ grant: 'client_credentials' }), 'oauth2.token_url'],
      ['an unknown grant', manifest({ ...valid, grant: 'password' }), 'oauth2.grant'],
      [
        'authorization_code without authorization_url',
        manifest({ grant: 'authorization_code', token_url: valid.token_url }),
        'oauth2.authorization_url',
      ],
      [
        'a token_url that is not http(s)',
        manifest({ ...valid, token_url: 'ftp://x.test/token' }),
        'oauth2.token_url',
      ],
      [
        'a token_url with user info',
        manifest({ ...valid, token_url: 'https://u:p@x.test/token' }),
        'oauth2.token_url',
      ],
      ['a scope with a space', manifest({ ...valid, scopes: ['a b'] }), 'oauth2.scopes.0'],
      [
        'an extra parameter overriding the state',
        manifest({ ...valid, authorize_params: { state: 'fixed' } }),
        'oauth2.authorize_params.state',
      ],
      [
        'an unknown auth method',
        manifest({ ...valid, token_auth_method: 'private_key_jwt' }),
        'oauth2.token_auth_method',
      ],
      ['pkce that is not a boolean', manifest({ ...valid, pkce: 'yes' }), 'oauth2.pkce'],
      ['an oauth2 section on an api_key module', manifest(valid, { auth_type: 'api_key' }), 'auth_type'],
    ];
    for (const [what, body, field] of bad) {
      it(`refuses ${what} (400, nothing installed)`, async () => {
        const org = await orgWithKeys(world.vault, 'mfbad');
        const res = await call(world.app, 'PUT', `/v1/modules/${M}`, { key: org.keys.owner, body });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        // The route's schema (generated from the manifest's zod schema) or the manifest check names
        // the field: "body/oauth2/pkce must be ..." or "oauth2.pkce: ..." alike.
        const named = String(res.json().detail)
          .replace(/^body\//, '')
          .replace(/ must have required property '([^']+)'/, '/$1')
          .replaceAll('/', '.');
        expect(named).toContain(field);
        expect(await world.vault.org(org.orgId).modules.get(M)).toBeNull();
      });
    }

    it('a NEXUS manifest with auth_type oauth2 and no oauth2 section still installs (and cannot connect)', async () => {
      const org = await orgWithKeys(world.vault, 'mfnexus');
      const body = {
        name: 'gcal',
        category: 'calendar',
        platform: 'gcal',
        version: '1.0.0',
        auth_type: 'oauth2',
      };
      expect(
        (await call(world.app, 'PUT', `/v1/modules/${M}`, { key: org.keys.owner, body })).statusCode,
      ).toBe(201);
      const res = await call(world.app, 'POST', `/v1/modules/${M}/oauth/authorize`, { key: org.keys.owner });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ reason: 'MODULE_NOT_EXECUTABLE' });
    });

    it('without ORGVAULT_HTTP_ALLOW_PRIVATE, authorize refuses http endpoints', async () => {
      const org = await orgWithKeys(world.vault, 'mfhttp');
      const body = manifest({ ...valid, token_url: 'http://oauth2.example.test/token' });
      await call(world.app, 'PUT', `/v1/modules/${M}`, { key: org.keys.owner, body });
      await world.vault.org(org.orgId).credentials.store(M, { client_id: 'c', client_secret: 's-123456' });
      const res = await call(world.app, 'POST', `/v1/modules/${M}/oauth/authorize`, { key: org.keys.owner });
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toContain('https');
    });
  });
}
