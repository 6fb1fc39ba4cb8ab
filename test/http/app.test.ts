import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { call, type HttpWorld, httpWorld, orgWithKeys } from './support.js';

const backends = await selectedBackends();

describe.each(backends.map((b) => [b.name, b] as const))('HTTP app on %s', (_name, backend) => {
  let world: HttpWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it("every route in Fastify's route table declares exactly one of permission or public", async () => {
    world = await httpWorld(backend);
    expect(world.app.routeTable.length).toBeGreaterThan(15);
    for (const r of world.app.routeTable) {
      const declared = (r.permission !== undefined ? 1 : 0) + (r.public ? 1 : 0);
      expect(declared, `${r.methods.join(',')} ${r.url}`).toBe(1);
    }
    const publicRoutes = world.app.routeTable.filter((r) => r.public).map((r) => r.url);
    expect(new Set(publicRoutes)).toEqual(
      new Set([
        '/health',
        '/openapi.json',
        '/metrics',
        '/v1/bootstrap',
        '/v1/audit/public-keys',
        // The console's sign-in page and its stylesheet/script: nothing behind them without a session.
        '/console/sign-in',
        '/console/assets/:file',
        '/v1/oauth/callback',
      ]),
    );
  });

  it('HEAD routes Fastify adds for GET carry the same declaration and are checked alike', async () => {
    world = await httpWorld(backend);
    const heads = world.app.routeTable.filter((r) => r.methods.includes('HEAD'));
    expect(heads.length).toBeGreaterThan(0);
    for (const h of heads) {
      const get = world.app.routeTable.find((r) => r.url === h.url && r.methods.includes('GET'));
      expect(get, h.url).toBeDefined();
      expect({ permission: h.permission, public: h.public }).toEqual({
        permission: get?.permission,
        public: get?.public,
      });
    }
    const viewer = (await world.vault.org().keys.create({ role: 'viewer' })).apiKey;
    expect((await call(world.app, 'HEAD', '/v1/modules')).statusCode).toBe(401);
    expect((await call(world.app, 'HEAD', '/v1/audit', { key: viewer })).statusCode).toBe(403);
    expect((await call(world.app, 'HEAD', '/v1/me', { key: viewer })).statusCode).toBe(200);
  });

  it('a route that declares neither permission nor public is refused at registration', async () => {
    world = await httpWorld(backend);
    const app = await buildApp({ vault: world.vault, logger: pino({ level: 'silent' }) });
    expect(() => app.get('/v1/undeclared', async () => ({ leak: true }))).toThrow(/must declare/);
    expect(() =>
      app.get('/v1/both', { config: { public: true, permission: 'read_config' } }, async () => ({})),
    ).toThrow(/must declare/);
    await app.close();
  });

  it('/health is public; /openapi.json is OpenAPI 3 with every route', async () => {
    world = await httpWorld(backend);
    const health = await call(world.app, 'GET', '/health');
    expect(health.json()).toMatchObject({ status: 'ok' });
    const doc = (await call(world.app, 'GET', '/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/health',
      '/v1/bootstrap',
      '/v1/me',
      '/v1/modules',
      '/v1/modules/{category}/{platform}',
      '/v1/modules/{category}/{platform}/enable',
      '/v1/modules/{category}/{platform}/disable',
      '/v1/modules/{category}/{platform}/credentials',
      '/v1/api-keys',
      '/v1/api-keys/{key_id}/rotate',
      '/v1/api-keys/{key_id}',
      '/v1/audit',
      '/v1/mcp',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect(doc.paths['/v1/modules/{category}/{platform}'].put.requestBody).toBeDefined();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ in: 'header', name: 'X-API-Key' });
    expect(doc.paths['/v1/bootstrap'].post.security).toEqual([]);
    expect(doc.paths['/v1/modules'].get.security).toBeUndefined(); // the document-wide key requirement
  });

  it('CORS is off by default: no CORS headers, and preflights are not blocked by auth (404, not 401)', async () => {
    world = await httpWorld(backend);
    const get = await call(world.app, 'GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await call(world.app, 'OPTIONS', '/v1/modules', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(pre.statusCode).not.toBe(401);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('with allowed origins, preflights answer without a key and only for those origins', async () => {
    const { vault, close } = await freshVault(backend, { corsOrigins: ['https://app.example'] });
    const app = await buildApp({ vault, logger: pino({ level: 'silent' }) });
    try {
      const pre = await app.inject({
        method: 'OPTIONS',
        url: '/v1/modules/weather/openweather/credentials',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'x-api-key,content-type',
        },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(String(pre.headers['access-control-allow-headers'])).toContain('x-api-key');
      const other = await app.inject({
        method: 'OPTIONS',
        url: '/v1/modules',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const key = (await vault.org().keys.create({ role: 'viewer' })).apiKey;
      const get = await app.inject({
        url: '/v1/me',
        headers: { origin: 'https://app.example', 'x-api-key': key },
      });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBe('https://app.example');
    } finally {
      await app.close();
      await close();
    }
  });

  it('/metrics counts requests by route template and status, and auth failures, with no org ids or keys', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'metrics-org-secretname');
    await world.vault.org(org.orgId).modules.install(manifest('weather/openweather'));
    await call(world.app, 'GET', '/v1/modules/weather/openweather', { key: org.keys.viewer });
    await call(world.app, 'GET', '/v1/modules', { key: 'ovk_0123456789abcdef_wrong' });
    await call(world.app, 'GET', '/v1/modules');
    const res = await call(world.app, 'GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /orgvault_http_requests_total\{method="GET",route="\/v1\/modules\/:category\/:platform",status="200"\} 1/,
    );
    expect(res.body).toMatch(
      /orgvault_http_requests_total\{method="GET",route="\/v1\/modules",status="401"\} 2/,
    );
    // One counter for every refusal: a reason label would tell a public caller what its 401 hides.
    expect(res.body).toMatch(/^orgvault_auth_failures_total 2$/m);
    expect(res.body).not.toMatch(/orgvault_auth_failures_total\{/);
    expect(res.body).not.toContain(org.orgId);
    expect(res.body).not.toContain('weather/openweather');
    expect(res.body).not.toContain(org.keyIds.viewer);
    expect(res.body).not.toContain('ovk_');
  });

  it('logs at trace level carry no key, secret or credential value', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { vault, close } = await freshVault(backend);
    const app = await buildApp({ vault, logger: createLogger('trace', sink) });
    try {
      const owner = await vault.org().keys.create({ role: 'owner' });
      await vault.org().modules.install(manifest('weather/openweather'));
      const h = { 'x-api-key': owner.apiKey };
      await app.inject({
        method: 'PUT',
        url: '/v1/modules/weather/openweather/credentials',
        headers: h,
        payload: { credentials: { api_key: 'sk-never-logged' } },
      });
      await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${owner.apiKey}` } });
      const created = await app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: h,
        payload: { role: 'viewer' },
      });
      await app.inject({
        method: 'PUT',
        url: '/v1/modules/x/y',
        headers: h,
        payload: '{bad json sk-never-logged',
      });
      app.log.info({ api_key: 'sk-never-logged', credentials: { token: 'sk-never-logged' } }, 'direct');
      const text = lines.join('');
      // One line per request (four of them) and the direct one, at least.
      const completed = lines.filter((l) => JSON.parse(l).msg === 'request completed');
      expect(completed).toHaveLength(4);
      expect(lines.length).toBeGreaterThanOrEqual(5);
      expect(text).not.toContain('sk-never-logged');
      expect(text).not.toContain(owner.apiKey);
      expect(text).not.toContain(created.json().api_key);
      expect(text).toContain('[redacted]');
    } finally {
      await app.close();
      await close();
    }
  });

  it('a broken database is a plain 500 problem: no stack, no internals', async () => {
    world = await httpWorld(backend);
    const key = (await world.vault.org().keys.create({ role: 'viewer' })).apiKey;
    // The database going away mid-request, as the driver would report it.
    internalsOf(world.vault).keyVerifier.verify = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.7:5432 at PgPool.connect (/srv/pool.ts:12)');
    };
    const res = await call(world.app, 'GET', '/v1/modules', { key });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'INTERNAL', detail: 'internal error' });
    expect(res.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|pool|\.ts/);
  });

  it('every documented route declares a unique camelCase operationId and a declared tag; one without is refused', async () => {
    world = await httpWorld(backend);
    const documented = world.app.routeTable.filter((r) => r.operationId !== undefined);
    expect(documented.length).toBeGreaterThan(20);
    const ids = documented.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const app = await buildApp({ vault: world.vault, logger: pino({ level: 'silent' }) });
    const handler = async () => ({});
    const config = { public: true } as const;
    expect(() =>
      app.get('/v1/untagged', { config, schema: { operationId: 'getUntagged' } }, handler),
    ).toThrow(/must declare schema\.tags/);
    expect(() => app.get('/v1/anonymous', { config, schema: { tags: ['system'] } }, handler)).toThrow(
      /must declare schema\.operationId/,
    );
    expect(() =>
      app.get('/v1/odd-tag', { config, schema: { operationId: 'getOdd', tags: ['nonsense'] } }, handler),
    ).toThrow(/OPENAPI_TAGS/);
    expect(() =>
      app.get('/v1/again', { config, schema: { operationId: 'getMe', tags: ['keys'] } }, handler),
    ).toThrow(/already taken/);
    // A hidden route (a console page) needs neither, and stays out of the document.
    app.get('/console/hidden', { config, schema: { hide: true } }, handler);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).not.toContain('/console/hidden');
    expect(Object.keys(doc.paths)).toContain('/v1/me');
    await app.close();
  });

  it('graceful close: a request in flight finishes before the server stops', async () => {
    world = await httpWorld(backend);
    const { vault } = world;
    const app = await buildApp({ vault, logger: pino({ level: 'silent' }) });
    let started: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      started = resolve;
    });
    app.get('/slow', { config: { public: true }, schema: { hide: true } }, async () => {
      started();
      await new Promise((r) => setTimeout(r, 300));
      return { done: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const pending = fetch(`http://127.0.0.1:${port}/slow`);
    await inHandler; // the request is in flight: close must wait for it
    const closing = app.close();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
