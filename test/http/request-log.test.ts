import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
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
      const incoming = parsed(lines).filter((l) => l.msg === 'incoming request');
      expect(incoming.map((l) => l.req)).toEqual([
        expect.objectContaining({ method: 'GET', url: '/v1/me?[redacted]', route: '/v1/me' }),
        expect.objectContaining({ method: 'GET', url: '/no/such/route?[redacted]' }),
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
