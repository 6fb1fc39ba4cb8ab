import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import {
  createLogger,
  isoTimeEachMillisecond,
  logFormatFor,
  requestLogSampler,
} from '../../src/http/logger.js';
import { freshVault, selectedBackends } from '../support/backends.js';

const backends = await selectedBackends();

/** A logger at `level` whose lines land in `lines` (the logger's destination, as the server's). */
function capture(level: string): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger(level, sink) };
}

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

/** Finding 4: a secret in a URL or a secret-bearing header never reaches the log, at any level. */
describe.each(backends.map((b) => [b.name, b] as const))('request logging on %s', (_name, backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  for (const level of ['debug', 'trace']) {
    it(`a key in the query string is absent from a ${level}-level log, and the request is still logged`, async () => {
      const { lines, logger } = capture(level);
      const { vault, close } = await freshVault(backend);
      const app = await buildApp({ vault, logger });
      cleanup = async () => {
        await app.close();
        await close();
      };
      const key = await vault.org().keys.create({ role: 'viewer' });
      // ovk_<keyId>_<secret>: the key id is hex, the secret (base64url) may itself hold an underscore.
      const secret = key.apiKey.slice(`ovk_${key.keyId}_`.length);
      const lookalike = 'sk-live-51HqZpLmN0tInLoGs';
      const res = await app.inject({
        method: 'GET',
        url: `/v1/me?api_key=${encodeURIComponent(key.apiKey)}&token=${lookalike}&${key.apiKey}`,
        headers: {
          cookie: 'session=cookie-secret-value',
          'proxy-authorization': 'Basic cHJveHktc2VjcmV0LXZhbHVl',
        },
      });
      // The key was in the URL, not a header: refused, and that refusal is logged too.
      expect(res.statusCode).toBe(401);
      await app.inject({ method: 'GET', url: `/no/such/route?state=${lookalike}` });

      const text = lines.join('');
      for (const leaked of [
        key.apiKey,
        encodeURIComponent(key.apiKey),
        secret,
        lookalike,
        'cookie-secret-value',
      ]) {
        expect(text).not.toContain(leaked);
      }
      expect(text).not.toContain('cHJveHktc2VjcmV0LXZhbHVl');
      const completed = parsed(lines).filter((l) => l.msg === 'request completed');
      expect(completed).toEqual([
        expect.objectContaining({ method: 'GET', url: '/v1/me?[redacted]', route: '/v1/me', status: 401 }),
        expect.objectContaining({ method: 'GET', url: '/no/such/route?[redacted]', status: 404 }),
      ]);
      expect(parsed(lines).some((l) => l.msg === 'authentication refused' && l.reason === 'MISSING')).toBe(
        true,
      );
    });
  }

  it('every header that can carry a secret is redacted wherever a log line puts it', () => {
    const { lines, logger } = capture('trace');
    const headers = {
      authorization: 'Bearer h-secret-1',
      'x-api-key': 'h-secret-2',
      cookie: 'sid=h-secret-3',
      'set-cookie': 'sid=h-secret-4',
      'proxy-authorization': 'Basic h-secret-5',
      accept: 'application/json',
    };
    logger.debug({ headers }, 'bare');
    logger.debug({ res: { headers } }, 'response');
    logger.debug({ upstream: { headers } }, 'nested');
    logger.debug({ req: { method: 'GET', url: '/x?k=h-secret-6', headers } }, 'request object');
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    expect(text).not.toMatch(/h-secret-\d/);
    expect(text).toContain('application/json');
    expect(text).toContain('[redacted]');
  });
});

/** Issue 13/14: one cheap line a request, sampled or off, ISO times, the request id on every line. */
describe.each(backends.map((b) => [b.name, b] as const))('request log lines on %s', (_name, backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function appWith(lines: string[], level: string, overrides: Record<string, unknown> = {}) {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger(level, sink);
    const { vault, close } = await freshVault(backend);
    const app = await buildApp({ vault, logger, config: { ...vault.config, ...overrides } });
    cleanup = async () => {
      await app.close();
      await close();
    };
    return { app, vault, logger };
  }

  it('one line per request with an ISO time; a module call logs its line under the same request id', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink);
    // The server hands one logger to the app and to the agent runtime; so does this test.
    const { vault, close } = await freshVault(backend, { agentLogger: logger });
    const app = await buildApp({ vault, logger });
    cleanup = async () => {
      await app.close();
      await close();
    };
    await vault.org().modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
    const { apiKey } = await vault.org().keys.create({ role: 'admin' });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/conversations/logged/invoke',
      headers: { 'x-api-key': apiKey },
      payload: { module_id: 'demo/echo', action: 'echo', input: { secret: 'never-logged-value' } },
    });
    expect(res.statusCode).toBe(200);
    const requestId = res.headers['x-request-id'];
    const mine = parsed(lines).filter((l) => l.reqId === requestId);
    expect(mine.map((l) => l.msg)).toEqual(['module invoked', 'request completed']);
    for (const l of mine) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(mine[1]).toMatchObject({
      method: 'POST',
      status: 200,
      route: '/v1/conversations/:conversation_id/invoke',
    });
    expect(lines.join('')).not.toContain('never-logged-value');
    expect(lines.join('')).not.toContain(apiKey);
  });

  it('the request line (written without redaction) carries only its known-safe fields, never a header, query or body', async () => {
    const lines: string[] = [];
    const { app, vault } = await appWith(lines, 'info');
    const key = await vault.org().keys.create({ role: 'viewer' });
    const res = await app.inject({
      method: 'GET',
      url: `/v1/modules?api_key=${encodeURIComponent(key.apiKey)}`,
      headers: {
        'x-api-key': key.apiKey,
        'x-request-id': 'client-42',
        cookie: 'sid=line-cookie-secret',
        authorization: 'Basic bGluZS1hdXRoLXNlY3JldA==',
      },
    });
    // Both a header key and a query key: the query is refused (ambiguous) or ignored; either way logged.
    const requestId = res.headers['x-request-id'];
    const line = parsed(lines).find((l) => l.msg === 'request completed');
    expect(line).toBeDefined();
    expect(Object.keys(line ?? {}).sort()).toEqual(
      [
        'client_request_id',
        'hostname',
        'level',
        'method',
        'ms',
        'msg',
        'pid',
        'reqId',
        'route',
        'status',
        'time',
        'url',
      ].sort(),
    );
    expect(line).toMatchObject({
      reqId: requestId,
      client_request_id: 'client-42',
      method: 'GET',
      url: '/v1/modules?[redacted]',
      route: '/v1/modules',
      status: res.statusCode,
    });
    const text = lines.join('');
    for (const leaked of [
      key.apiKey,
      encodeURIComponent(key.apiKey),
      'line-cookie-secret',
      'bGluZS1hdXRoLXNlY3JldA==',
    ]) {
      expect(text).not.toContain(leaked);
    }
    // A client request id that is not plain is neither echoed nor logged.
    await app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': `ovk_${'a'.repeat(20)} x` },
    });
    expect(lines.join('')).not.toContain('a'.repeat(20));
    // request.log (made on first use) still binds the request id and the client's id to its lines.
    const refused = await app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { 'x-request-id': 'client-43' },
    });
    expect(refused.statusCode).toBe(401);
    expect(parsed(lines).find((l) => l.msg === 'authentication refused')).toMatchObject({
      reqId: refused.headers['x-request-id'],
      client_request_id: 'client-43',
      reason: 'MISSING',
    });
  });

  it('ORGVAULT_REQUEST_LOG_SAMPLE=0 writes no request line, but a server error is still logged', async () => {
    const lines: string[] = [];
    const { app } = await appWith(lines, 'info', { requestLogSample: 0 });
    for (let i = 0; i < 5; i++)
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(parsed(lines).filter((l) => l.msg === 'request completed')).toEqual([]);
    const sampler = requestLogSampler(0);
    expect([sampler(200), sampler(404), sampler(500)]).toEqual([false, false, true]);
  });

  it('a sample of 0.5 logs some requests and not others', async () => {
    const lines: string[] = [];
    const { app } = await appWith(lines, 'info', { requestLogSample: 0.5 });
    for (let i = 0; i < 200; i++) await app.inject({ method: 'GET', url: '/health' });
    const count = parsed(lines).filter((l) => l.msg === 'request completed').length;
    // Binomial(200, 0.5): outside 40..160 has a probability far below 1e-15.
    expect(count).toBeGreaterThan(40);
    expect(count).toBeLessThan(160);
  });

  it('pretty format renders a line for a person, redacted, with the ISO time', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink, { format: 'pretty' });
    logger.info({ reqId: 'req-1', headers: { 'x-api-key': 'pretty-secret' } }, 'hello pretty');
    const text = lines.join('');
    expect(text).toContain('hello pretty');
    expect(text).toContain('req-1');
    expect(text).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(text).not.toContain('pretty-secret');
    expect(() => JSON.parse(text)).toThrow();
    expect([
      logFormatFor(undefined, true),
      logFormatFor(undefined, false),
      logFormatFor('json', true),
    ]).toEqual(['pretty', 'json', 'json']);
  });
});

describe('the time field', () => {
  it("is pino's ISO-8601 field of the current millisecond, formatted once a millisecond", () => {
    let now = Date.parse('2030-01-02T03:04:05.678Z');
    let reads = 0;
    const time = isoTimeEachMillisecond(() => {
      reads += 1;
      return now;
    });
    expect(time()).toBe(',"time":"2030-01-02T03:04:05.678Z"');
    const first = time();
    expect(time()).toBe(first);
    now += 1;
    expect(time()).toBe(',"time":"2030-01-02T03:04:05.679Z"');
    expect(reads).toBe(4);
    const line = JSON.parse(`{"level":30${time()}}`) as { time: string };
    expect(line.time).toBe('2030-01-02T03:04:05.679Z');
  });
});
