import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { MemoryWindowStore } from '../../src/ratelimit/memory-window-store.js';
import { RedisWindowStore } from '../../src/ratelimit/redis-window-store.js';
import { WindowRequestLimiter } from '../../src/ratelimit/request-limiter.js';
import type { WindowStore } from '../../src/ratelimit/window-store.js';
import type { TrustProxy } from '../../src/trust-proxy.js';
import type { Vault } from '../../src/vault.js';
import { wrongSecret } from '../http/support.js';
import { freshVault, selectedBackends } from '../support/backends.js';

const REDIS_URL = process.env.ORGVAULT_TEST_REDIS_URL?.trim() || undefined;
const LIMIT = 20;

const stores: Array<[string, () => WindowStore]> = [['memory', () => new MemoryWindowStore()]];
if (REDIS_URL) {
  stores.push([
    'redis',
    () => new RedisWindowStore(new Redis(REDIS_URL), `orgvault-test:${randomBytes(6).toString('hex')}:`),
  ]);
}
const cases = (await selectedBackends()).flatMap((b) =>
  stores.map(([s, make]) => [b.name, s, b, make] as const),
);

/** A key of the right shape naming a key id that does not exist: a plain guess. */
const guess = () => `ovk_${randomBytes(8).toString('hex')}_${randomBytes(16).toString('base64url')}`;
/** ORGVAULT_TRUST_PROXY as an operator would set it. */
const trustFromEnv = (value: string): TrustProxy =>
  loadConfig({}, { ORGVAULT_TRUST_PROXY: value }).trustProxy;

/**
 * Finding 2: the failed-authentication limit refuses guesses, never a valid key; it counts per
 * client (as named by a trusted proxy only) and per key id.
 */
describe.each(cases)(
  'failed-authentication limit on %s with %s counters',
  (_db, _store, backend, makeStore) => {
    let vault: Vault;
    let app: FastifyInstance;
    let limiter: WindowRequestLimiter;
    let closeVault: (() => Promise<void>) | undefined;

    async function world(trustProxy: TrustProxy = false): Promise<{ apiKey: string; keyId: string }> {
      ({ vault, close: closeVault } = await freshVault(backend));
      limiter = new WindowRequestLimiter({
        store: makeStore(),
        perKeyPerMinute: 10_000,
        authFailuresPerMinute: LIMIT,
      });
      app = await buildApp({
        vault,
        config: { ...vault.config, trustProxy },
        logger: pino({ level: 'silent' }),
        limiter,
      });
      return vault.org().keys.create({ role: 'viewer' });
    }
    afterEach(async () => {
      await app?.close();
      await limiter?.close();
      await closeVault?.();
      closeVault = undefined;
    });

    const me = (apiKey: string | null, remoteAddress: string, xff?: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/me',
        remoteAddress,
        headers: {
          ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
          ...(xff === undefined ? {} : { 'x-forwarded-for': xff }),
        },
      });

    it('a valid key still gets 200 after 30 bad guesses from its own address', async () => {
      const key = await world();
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push((await me(i % 3 === 0 ? null : guess(), '10.0.0.9')).statusCode);
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(statuses.slice(LIMIT)).toEqual(Array(30 - LIMIT).fill(429));
      const res = await me(key.apiKey, '10.0.0.9');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ key_id: key.keyId });
      // ... and again: a valid key is never counted as a failure either.
      expect((await me(key.apiKey, '10.0.0.9')).statusCode).toBe(200);
    });

    it('guesses past the limit get 429 problem+json with Retry-After; other addresses keep their budget', async () => {
      await world();
      for (let i = 0; i < LIMIT; i++) expect((await me(guess(), '10.0.0.7')).statusCode).toBe(401);
      const refused = await me(guess(), '10.0.0.7');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect((await me(null, '10.0.0.7')).statusCode).toBe(429);
      expect((await me(guess(), '10.0.0.8')).statusCode).toBe(401);
    });

    it('guesses at one key id are counted across source addresses, and the key itself still passes', async () => {
      const key = await world();
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++)
        statuses.push((await me(wrongSecret(key.apiKey), `10.1.0.${i + 1}`)).statusCode);
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(statuses.slice(LIMIT)).toEqual(Array(25 - LIMIT).fill(429));
      // The key id's counter refuses further guesses from a brand-new address...
      expect((await me(wrongSecret(key.apiKey), '10.2.0.1')).statusCode).toBe(429);
      // ... but never the key itself, from an attacked address or any other.
      expect((await me(key.apiKey, '10.1.0.25')).statusCode).toBe(200);
      expect((await me(key.apiKey, '10.2.0.2')).statusCode).toBe(200);
      // A guess at another key id from a fresh address is an ordinary 401.
      expect((await me(guess(), '10.2.0.3')).statusCode).toBe(401);
    });

    it('behind a trusted proxy (one hop) one anonymous client does not lock out the other clients', async () => {
      const key = await world(trustFromEnv('1'));
      for (let i = 0; i < LIMIT; i++)
        expect((await me(null, '127.0.0.1', '203.0.113.5')).statusCode).toBe(401);
      expect((await me(null, '127.0.0.1', '203.0.113.5')).statusCode).toBe(429);
      // Everyone else reaches orgvault through the same proxy address and is not affected.
      expect((await me(guess(), '127.0.0.1', '203.0.113.6')).statusCode).toBe(401);
      expect((await me(key.apiKey, '127.0.0.1', '203.0.113.6')).statusCode).toBe(200);
      expect((await me(key.apiKey, '127.0.0.1', '203.0.113.5')).statusCode).toBe(200);
    });

    it('with a hop count of 1, X-Forwarded-For entries the client wrote itself do not escape the limit', async () => {
      await world(trustFromEnv('1'));
      // The client sends its own X-Forwarded-For; the one trusted proxy appends the address it saw.
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        statuses.push((await me(guess(), '127.0.0.1', `198.18.${i}.1, 203.0.113.9`)).statusCode);
      }
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(statuses.slice(LIMIT)).toEqual(Array(25 - LIMIT).fill(429));
    });

    it('with a proxy list that does not include the caller, X-Forwarded-For is ignored and rotating it does not escape', async () => {
      await world(trustFromEnv('10.9.9.9, 192.168.0.0/16'));
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++)
        statuses.push((await me(guess(), '198.51.100.20', `203.0.113.${i + 1}`)).statusCode);
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(statuses.slice(LIMIT)).toEqual(Array(25 - LIMIT).fill(429));
    });

    it('a listed proxy is believed: its forwarded clients have budgets of their own', async () => {
      const key = await world(trustFromEnv('10.9.9.9'));
      for (let i = 0; i < LIMIT; i++)
        expect((await me(guess(), '10.9.9.9', '203.0.113.50')).statusCode).toBe(401);
      expect((await me(guess(), '10.9.9.9', '203.0.113.50')).statusCode).toBe(429);
      expect((await me(guess(), '10.9.9.9', '203.0.113.51')).statusCode).toBe(401);
      expect((await me(key.apiKey, '10.9.9.9', '203.0.113.50')).statusCode).toBe(200);
    });
  },
);
