import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure, httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const MOD = 'crm/widgets';

function upstream(): ModuleServer {
  const mirror =
    (status: number) =>
    (
      req: Parameters<Parameters<ModuleServer['route']>[2]>[0],
      res: Parameters<Parameters<ModuleServer['route']>[2]>[1],
    ) =>
      json(res, status, {
        method: req.method,
        path: req.path,
        query: req.query,
        body: req.body ? JSON.parse(req.body) : null,
      });
  return new ModuleServer()
    .route('GET', '/v2/widgets/a%2Fb%20c', mirror(200))
    .route('GET', '/v2/widgets/42', mirror(200))
    .route('POST', '/v2/widgets', mirror(201))
    .route('GET', '/v2/text', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
    })
    .route('GET', '/v2/broken-json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
    })
    .route('GET', '/v2/whoami', (req, res) => json(res, 200, { headers: req.headers, query: req.query }))
    .route('GET', '/v2/moved', (_req, res) => {
      res.writeHead(301, { location: '/v2/whoami?other=from-redirect' }).end();
    });
}

const actions = {
  get: { method: 'GET', path: '/widgets/{id}', query: ['fields', 'tag'] },
  create: { method: 'POST', path: '/widgets' },
  text: { method: 'GET', path: '/text' },
  broken: { method: 'GET', path: '/broken-json' },
  whoami: { method: 'GET', path: '/whoami', query: ['token', 'other'] },
  missing: { method: 'GET', path: '/missing' },
  moved: { method: 'GET', path: '/moved' },
};

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] declarative HTTP modules`, () => {
    let vault: Vault;
    let close: () => Promise<void>;
    let server: ModuleServer;

    beforeEach(async () => {
      server = await upstream().start();
      ({ vault, close } = await freshVault(backend, { httpAllowPrivate: true }));
    });
    afterEach(async () => {
      await close();
      await server.stop();
    });

    async function install(auth: Record<string, unknown>, credentials: Record<string, string>) {
      await vault.org().modules.install({
        ...httpModule(MOD, `${server.url()}/v2/`, { auth, actions }),
        credential_fields: Object.keys(credentials).map((name) => ({ name, required: true })),
      });
      await vault.org().credentials.store(MOD, credentials);
    }
    const call = (action: string, input: Record<string, unknown> = {}) =>
      vault.org().conversations.invoke('c', { moduleId: MOD, action, input });

    it('fills path templates (encoded), listed query names only, and sends a POST body as JSON', async () => {
      await install({ in: 'header', name: 'X-Key', credential: 'api_key' }, { api_key: 'header-key-123' });
      const got = await call('get', { id: 'a/b c', fields: 'name', tag: ['x', 'y'], unlisted: 'dropped' });
      expect(got.result).toEqual({
        status: 200,
        body: {
          method: 'GET',
          path: '/v2/widgets/a%2Fb%20c',
          query: { fields: 'name', tag: 'y' },
          body: null,
        },
      });
      expect(server.seen[0]?.headers['x-key']).toBe('header-key-123');

      const created = await call('create', { body: { name: 'w', n: 1 } });
      expect(created.result).toMatchObject({
        status: 201,
        body: { method: 'POST', body: { name: 'w', n: 1 } },
      });
      expect(server.seen[1]?.headers['content-type']).toBe('application/json');

      expect((await call('get', { id: 42 })).result).toMatchObject({ body: { path: '/v2/widgets/42' } });
    });

    it('a path parameter cannot climb out of the path or reach another host', async () => {
      await install({ in: 'header', name: 'X-Key', credential: 'api_key' }, { api_key: 'header-key-123' });
      for (const id of ['..', '.', '']) {
        expect(await failure(call('get', { id }))).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      await failure(call('get', { id: '@evil.example/x' }));
      expect(server.seen.map((r) => r.path)).toEqual(['/v2/widgets/%40evil.example%2Fx']);
    });

    it('returns text bodies as text, and a body that claims JSON but is not as text', async () => {
      await install({ in: 'header', name: 'X-Key', credential: 'api_key' }, { api_key: 'header-key-123' });
      expect((await call('text')).result).toEqual({ status: 200, body: 'plain words' });
      expect((await call('broken')).result).toEqual({ status: 200, body: '{not json' });
    });

    it('injects query, bearer and basic credentials, and input cannot override them', async () => {
      await install({ in: 'query', name: 'token', credential: 'api_key' }, { api_key: 'query-key-123' });
      await call('whoami', { token: 'from-input', other: 'kept' });
      expect(server.seen.at(-1)?.query).toEqual({ token: 'query-key-123', other: 'kept' });

      // A same-host redirect keeps the query credential.
      await call('moved');
      expect(server.seen.at(-1)).toMatchObject({
        path: '/v2/whoami',
        query: { token: 'query-key-123', other: 'from-redirect' },
      });

      await install({ in: 'bearer', credential: 'api_key' }, { api_key: 'bearer-key-123' });
      await call('whoami');
      expect(server.seen.at(-1)?.headers.authorization).toBe('Bearer bearer-key-123');

      await install(
        { in: 'basic', username: 'user', password: 'pass' },
        { user: 'alice', pass: 'basic-pass-123' },
      );
      await call('whoami');
      expect(server.seen.at(-1)?.headers.authorization).toBe(
        `Basic ${Buffer.from('alice:basic-pass-123').toString('base64')}`,
      );
    });

    it('a missing credential is MODULE_NOT_EXECUTABLE and nothing is sent', async () => {
      await vault.org().modules.install(httpModule(MOD, server.url(), { actions }));
      const err = await failure(call('text'));
      expect(err).toMatchObject({ code: 'MODULE_NOT_EXECUTABLE' });
      expect(err.message).toContain('"api_key"');
      expect(server.seen).toHaveLength(0);
    });

    it('an upstream 404 is a failed call with its status and body, not counted against the module', async () => {
      await install({ in: 'header', name: 'X-Key', credential: 'api_key' }, { api_key: 'header-key-123' });
      const err = await failure(call('missing'));
      expect(err).toMatchObject({ code: 'MODULE_CALL_FAILED', details: { upstream_status: 404 } });
      expect(err.toolResult.output).toEqual({ status: 404, body: 'no such route' });
      expect(await vault.org().modules.get(MOD)).toMatchObject({ failureCount: 0, successCount: 0 });
    });
  });
}
