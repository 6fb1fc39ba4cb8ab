import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisWindowStore } from '../../src/ratelimit/redis-window-store.js';

const REDIS_URL = process.env.ORGVAULT_TEST_REDIS_URL?.trim() || undefined;
const SKIP = 'Redis tests SKIPPED: ORGVAULT_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)';

/** The shared counter: two stores (two connections, as two nodes) racing on one key. */
describe.skipIf(!REDIS_URL)(`Redis sliding window${REDIS_URL ? '' : ` (${SKIP})`}`, () => {
  const prefix = () => `orgvault-test:${randomBytes(6).toString('hex')}:`;

  it('two nodes hammering one key concurrently accept exactly the limit in total', async () => {
    const p = prefix();
    const a = new RedisWindowStore(new Redis(REDIS_URL ?? ''), p);
    const b = new RedisWindowStore(new Redis(REDIS_URL ?? ''), p);
    try {
      const attempts = Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? a : b).take('key:k1', 37, 60_000),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r.ok)).toHaveLength(37);
      const refused = results.find((r) => !r.ok);
      expect(refused && !refused.ok && refused.retryAfterMs).toBeGreaterThan(50_000);
      expect(await a.take('key:other', 37, 60_000)).toEqual({ ok: true });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('peek does not record, hit does, and entries leave after the window', async () => {
    const p = prefix();
    const s = new RedisWindowStore(new Redis(REDIS_URL ?? ''), p);
    try {
      expect(await s.peek('authfail:1.2.3.4', 1, 300)).toEqual({ ok: true });
      expect(await s.peek('authfail:1.2.3.4', 1, 300)).toEqual({ ok: true });
      await s.hit('authfail:1.2.3.4', 300);
      expect((await s.peek('authfail:1.2.3.4', 1, 300)).ok).toBe(false);
      await new Promise((r) => setTimeout(r, 350));
      expect(await s.peek('authfail:1.2.3.4', 1, 300)).toEqual({ ok: true });
    } finally {
      await s.close();
    }
  });
});
