import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const MOD = 'weather/openweather';
const UPSTREAM_KEYS = { acme: 'acme-upstream-key-4242', globex: 'globex-upstream-key-7373' };

function upstream(): ModuleServer {
  const keyOf = (h: Record<string, unknown>) => String(h['x-api-key']);
  return new ModuleServer()
    .route('GET', '/weather', (req, res) =>
      json(res, 200, { cityName: req.query.q, echoedKey: keyOf(req.headers), nested: { camelCase: true } }),
    )
    .route('GET', '/fail', (req, res) => {
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`upstream broke, key was ${keyOf(req.headers)}`);
    });
}

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] HTTP: /v1/conversations`, () => {
    let vault: Vault;
    let close: () => Promise<void>;
    let app: FastifyInstance;
    let server: ModuleServer;
    let logLines: string[];
    const keys: Record<string, string> = {};

    beforeEach(async () => {
      server = await upstream().start();
      logLines = [];
      const stream = new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      });
      const logger = pino({ level: 'trace' }, stream);
      ({ vault, close } = await freshVault(backend, {
        httpAllowPrivate: true,
        agentLogger: logger,
        breakerFailureThreshold: 2,
      }));
      app = await buildApp({ vault, logger });
      for (const org of ['acme', 'globex'] as const) {
        await vault.system.createOrg(org);
        await vault.org(org).modules.install(
          httpModule(MOD, server.url(), {
            actions: {
              current: { method: 'GET', path: '/weather', query: ['q'] },
              fail: { method: 'GET', path: '/fail' },
            },
          }),
        );
        await vault.org(org).credentials.store(MOD, { api_key: UPSTREAM_KEYS[org] });
        for (const role of ['viewer', 'operator'] as const) {
          keys[`${org}:${role}`] = (await vault.org(org).keys.create({ role })).apiKey;
        }
      }
    });
    afterEach(async () => {
      await app.close();
      await close();
      await server.stop();
    });

    const invoke = (key: string | undefined, conv: string, body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/v1/conversations/${conv}/invoke`,
        headers: key ? { 'x-api-key': key } : {},
        payload: body as Record<string, unknown>,
      });
    const get = (key: string, conv: string) =>
      app.inject({ method: 'GET', url: `/v1/conversations/${conv}`, headers: { 'x-api-key': key } });
    const weather = (q: string) => ({ module_id: MOD, action: 'current', input: { q } });

    it('invokes with the caller org key and answers {result, state} in snake_case, values untouched', async () => {
      const res = await invoke(keys['acme:operator'], 'chat-1', weather('Oslo'));
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.result).toEqual({
        status: 200,
        body: { cityName: 'Oslo', echoedKey: '[redacted]', nested: { camelCase: true } },
      });
      expect(body.state).toMatchObject({
        conversation_id: 'chat-1',
        org_id: 'acme',
        user_id: null,
        messages: [],
        total_tool_calls: 1,
        retry_count: 0,
        next_action: null,
        metadata: {},
      });
      expect(body.state.tool_results).toEqual([
        {
          module_id: MOD,
          action: 'current',
          ok: true,
          output: body.result,
          error: null,
          at: expect.any(String),
          duration_ms: expect.any(Number),
        },
      ]);
      expect(server.seen[0]?.headers['x-api-key']).toBe(UPSTREAM_KEYS.acme);

      const read = await get(keys['acme:viewer'] as string, 'chat-1');
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual({ state: body.state });
    });

    it('permissions: invoke needs invoke_modules, reading needs a key', async () => {
      const viewer = await invoke(keys['acme:viewer'], 'c', weather('x'));
      expect(viewer.statusCode).toBe(403);
      expect(viewer.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await invoke(undefined, 'c', weather('x'))).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/conversations/c' })).statusCode).toBe(401);
      expect(server.seen).toHaveLength(0);
      expect(await vault.org('acme').conversations.get('c')).toBeNull();
    });

    it("another org's conversation is 404 exactly like a missing one, and invoking its id touches only the caller's", async () => {
      await invoke(keys['acme:operator'], 'shared', weather('a'));
      const other = await get(keys['globex:viewer'] as string, 'shared');
      const missing = await get(keys['globex:viewer'] as string, 'never-existed');
      expect(other.statusCode).toBe(404);
      expect(other.headers['content-type']).toContain('application/problem+json');
      const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined, detail: undefined });
      expect(strip(other.json())).toEqual(strip(missing.json()));
      expect(other.json().detail).toBe('conversation "shared" not found');

      const mine = await invoke(keys['globex:operator'], 'shared', weather('b'));
      expect(mine.json().state).toMatchObject({ org_id: 'globex', total_tool_calls: 1 });
      expect(server.seen.map((r) => r.headers['x-api-key'])).toEqual([
        UPSTREAM_KEYS.acme,
        UPSTREAM_KEYS.globex,
      ]);
      expect((await get(keys['acme:viewer'] as string, 'shared')).json().state.total_tool_calls).toBe(1);
    });

    it('failures are problem+json with a contract code and the specific reason; upstream failures are 502, the open breaker 409 with retry-after', async () => {
      const fail = { module_id: MOD, action: 'fail', input: {} };
      const first = await invoke(keys['acme:operator'], 'f', fail);
      expect(first.statusCode).toBe(502);
      expect(first.json()).toMatchObject({
        code: 'INTERNAL',
        reason: 'MODULE_CALL_FAILED',
        detail: `module "${MOD}" answered HTTP 500`,
      });
      await invoke(keys['acme:operator'], 'f', fail);
      const open = await invoke(keys['acme:operator'], 'f', weather('x'));
      expect(open.statusCode).toBe(409);
      expect(open.json()).toMatchObject({ code: 'CONFLICT', reason: 'MODULE_UNHEALTHY' });
      expect(Number(open.headers['retry-after'])).toBeGreaterThan(0);

      const state = (await get(keys['acme:viewer'] as string, 'f')).json().state;
      expect(state.tool_results.map((t: { error: { code: string } }) => t.error.code)).toEqual([
        'MODULE_CALL_FAILED',
        'MODULE_CALL_FAILED',
        'MODULE_UNHEALTHY',
      ]);
      expect(state.tool_results[0].output).toEqual({
        status: 500,
        body: 'upstream broke, key was [redacted]',
      });

      await vault.org('acme').modules.disable(MOD);
      const disabled = await invoke(keys['acme:operator'], 'f', weather('x'));
      expect(disabled.statusCode).toBe(409);
      expect(disabled.json()).toMatchObject({ code: 'CONFLICT', reason: 'MODULE_DISABLED' });
      const absent = await invoke(keys['acme:operator'], 'f', { module_id: 'x/y', action: 'a' });
      expect(absent.statusCode).toBe(404);
    });

    it('both routes are described in /openapi.json', async () => {
      const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(spec.paths['/v1/conversations/{conversation_id}/invoke']?.post).toBeDefined();
      expect(spec.paths['/v1/conversations/{conversation_id}']?.get).toBeDefined();
    });

    it('malformed requests are 400, never 5xx', async () => {
      const op = keys['acme:operator'];
      for (const body of [
        {},
        { module_id: 'no-slash', action: 'current' },
        { module_id: MOD, action: 'bad action' },
        { module_id: MOD, action: 'current', input: 'text' },
        { module_id: MOD, action: 'current', extra: 1 },
        { module_id: MOD, action: 'nope' },
      ]) {
        const res = await invoke(op, 'c', body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
      }
      expect((await invoke(op, 'bad%20id', weather('x'))).statusCode).toBe(400);
      expect((await get(keys['acme:viewer'] as string, 'x'.repeat(129))).statusCode).toBe(400);
    });

    it('no upstream key appears in any reply or log line', async () => {
      const replies: string[] = [];
      for (const org of ['acme', 'globex']) {
        const op = keys[`${org}:operator`];
        replies.push((await invoke(op, 'leak', weather('x'))).body);
        replies.push((await invoke(op, 'leak', { module_id: MOD, action: 'fail' })).body);
        replies.push((await get(keys[`${org}:viewer`] as string, 'leak')).body);
      }
      expect(logLines.some((l) => l.includes('module invoked'))).toBe(true);
      const everything = [...replies, ...logLines].join('\n');
      for (const secret of Object.values(UPSTREAM_KEYS)) expect(everything).not.toContain(secret);
    });
  });
}
