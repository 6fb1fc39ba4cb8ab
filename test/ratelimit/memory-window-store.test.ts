import { describe, expect, it } from 'vitest';
import { MemoryWindowStore } from '../../src/ratelimit/memory-window-store.js';
import { WindowRequestLimiter } from '../../src/ratelimit/request-limiter.js';

function clockAt(start: number) {
  let now = start;
  const fn = () => now;
  return Object.assign(fn, { advance: (ms: number) => (now += ms) });
}

describe('in-memory sliding window', () => {
  it('accepts `limit` hits in a window, refuses the next with the wait until room appears', async () => {
    const clock = clockAt(1_000_000);
    const store = new MemoryWindowStore(clock);
    for (let i = 0; i < 3; i++) {
      expect(await store.take('k', 3, 60_000)).toEqual({ ok: true });
      clock.advance(10_000);
    }
    // Hits at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    expect(await store.take('k', 3, 60_000)).toEqual({ ok: false, retryAfterMs: 30_000 });
    clock.advance(30_001);
    expect(await store.take('k', 3, 60_000)).toEqual({ ok: true });
    expect((await store.take('k', 3, 60_000)).ok).toBe(false);
  });

  it('has no boundary burst: at most `limit` in ANY rolling window', async () => {
    const clock = clockAt(0);
    const store = new MemoryWindowStore(clock);
    let accepted = 0;
    // One attempt every 100 ms for 3 minutes against 10 per minute.
    const acceptedAt: number[] = [];
    for (let t = 0; t < 180_000; t += 100) {
      if ((await store.take('k', 10, 60_000)).ok) {
        accepted++;
        acceptedAt.push(clock());
      }
      clock.advance(100);
    }
    expect(accepted).toBe(30);
    for (let i = 10; i < acceptedAt.length; i++) {
      expect((acceptedAt[i] ?? 0) - (acceptedAt[i - 10] ?? 0)).toBeGreaterThanOrEqual(60_000);
    }
  });

  it('peek never records and hit always does; keys are independent', async () => {
    const store = new MemoryWindowStore(clockAt(0));
    for (let i = 0; i < 5; i++) expect(await store.peek('a', 2, 60_000)).toEqual({ ok: true });
    await store.hit('a', 60_000);
    await store.hit('a', 60_000);
    await store.hit('a', 60_000);
    expect((await store.peek('a', 2, 60_000)).ok).toBe(false);
    expect(await store.peek('b', 2, 60_000)).toEqual({ ok: true });
  });

  it('forgets the oldest key beyond its bound', async () => {
    const store = new MemoryWindowStore(clockAt(0), 2);
    await store.hit('a', 60_000);
    await store.hit('b', 60_000);
    await store.hit('c', 60_000);
    expect(await store.peek('a', 1, 60_000)).toEqual({ ok: true });
    expect((await store.peek('c', 1, 60_000)).ok).toBe(false);
  });

  it('a long log whose expired front is dropped in place answers exactly as a plain sliding log', async () => {
    const clock = clockAt(0);
    const store = new MemoryWindowStore(clock);
    const limit = 3_000;
    const window = 1_000;
    // The reference: every accepted time in a plain array, filtered on each call.
    let reference: number[] = [];
    let accepted = 0;
    let refused = 0;
    // 5 a millisecond for 4 s: the front expires in batches of thousands, and is cut off in place.
    for (let t = 0; t < 4_000; t++) {
      for (let i = 0; i < 5; i++) {
        reference = reference.filter((at) => at > clock() - window);
        const expected =
          reference.length < limit
            ? { ok: true }
            : {
                ok: false,
                retryAfterMs: Math.max(1, (reference[reference.length - limit] ?? 0) + window - clock()),
              };
        const got = await store.take('k', limit, window);
        expect(got).toEqual(expected);
        if (got.ok) {
          reference.push(clock());
          accepted++;
        } else refused++;
      }
      clock.advance(1);
    }
    expect(accepted).toBeGreaterThan(limit * 2);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('the limiter answered at once (checkKeyNow)', () => {
  const caller = { orgId: 'acme', keyId: 'k1', role: 'viewer' } as const;

  it('counts in the same window as checkKey: together never more than the limit', async () => {
    const limiter = new WindowRequestLimiter({
      store: new MemoryWindowStore(clockAt(0)),
      perKeyPerMinute: 3,
      authFailuresPerMinute: 10,
    });
    expect(limiter.checkKeyNow(caller, null)).toEqual({ ok: true });
    expect(await limiter.checkKey(caller, null)).toEqual({ ok: true });
    expect(limiter.checkKeyNow(caller, null)).toEqual({ ok: true });
    expect(limiter.checkKeyNow(caller, null)).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect((await limiter.checkKey(caller, null)).ok).toBe(false);
    expect(limiter.checkKeyNow(caller, 5)).toEqual({ ok: true });
  });

  it('has no answer when its store must wait (Redis)', () => {
    const memory = new MemoryWindowStore();
    const waiting = {
      take: memory.take.bind(memory),
      peek: memory.peek.bind(memory),
      hit: memory.hit.bind(memory),
      close: memory.close.bind(memory),
    };
    const limiter = new WindowRequestLimiter({
      store: waiting,
      perKeyPerMinute: 3,
      authFailuresPerMinute: 10,
    });
    expect(limiter.checkKeyNow(caller, null)).toBeUndefined();
  });
});
