import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { MemoryWindowStore } from '../../src/ratelimit/memory-window-store.js';
import { WindowRequestLimiter } from '../../src/ratelimit/request-limiter.js';
import type { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, sqliteBackend } from '../support/backends.js';

/** 429 problem+json with Retry-After: per key (default and per-key override) and per failing client. */
describe('HTTP rate limits', () => {
  let vault: Vault;
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let key: { apiKey: string; keyId: string };

  beforeEach(async () => {
    ({ vault, close } = await freshVault(sqliteBackend));
    const limiter = new WindowRequestLimiter({
      store: new MemoryWindowStore(),
      perKeyPerMinute: 5,
      authFailuresPerMinute: 3,
    });
    app = await buildApp({ vault, logger: pino({ level: 'silent' }), limiter });
    key = await vault.org().keys.create({ role: 'viewer' });
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  const me = (apiKey: string, ip = '10.0.0.1') =>
    app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': apiKey }, remoteAddress: ip });

  it('answers the request past the per-key limit with 429, problem+json and Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await me(key.apiKey)).statusCode).toBe(200);
    const res = await me(key.apiKey);
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Another key of the same org has its own budget.
    const other = await vault.org().keys.create({ role: 'viewer' });
    expect((await me(other.apiKey)).statusCode).toBe(200);
  });

  it('honours rate_limit_per_minute on the key row over the default', async () => {
    // An operator's SQL from another connection, as it would come from another process.
    const path = (internalsOf(vault).storage as SqliteStorage).rawConnection.name;
    const db = new BetterSqlite3(path);
    db.prepare('UPDATE api_keys SET rate_limit_per_minute = 2 WHERE key_id = ?').run(key.keyId);
    db.close();
    expect((await me(key.apiKey)).statusCode).toBe(200);
    expect((await me(key.apiKey)).statusCode).toBe(200);
    expect((await me(key.apiKey)).statusCode).toBe(429);
  });

  it("refuses a client address's further guesses after too many failed authentications, never a valid key", async () => {
    for (let i = 0; i < 3; i++) expect((await me('ovk_nope_wrong', '10.0.0.9')).statusCode).toBe(401);
    const res = await me('ovk_nope_wrong', '10.0.0.9');
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
    // A valid key from that address still passes (the failure limit never refuses one).
    expect((await me(key.apiKey, '10.0.0.9')).statusCode).toBe(200);
    // Other addresses are not affected.
    expect((await me('ovk_nope_wrong', '10.0.0.10')).statusCode).toBe(401);
    expect((await me(key.apiKey, '10.0.0.10')).statusCode).toBe(200);
  });
});
