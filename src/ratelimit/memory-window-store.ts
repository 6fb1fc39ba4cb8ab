import type { WindowDecision, WindowStore } from './window-store.js';

/** Keys tracked at once; past this the oldest keys are forgotten (a bounded cache, stated). */
const DEFAULT_MAX_KEYS = 50_000;
/** Entries kept per key whatever the limit (memory bound). */
const MAX_ENTRIES_PER_KEY = 100_000;

/**
 * One key's hit times, oldest first, as an array with a moving start: dropping the expired front
 * moves an index instead of shifting the array (a `splice(0, n)` of a 100,000-entry log cost about
 * 70 us per request under a high limit). The dropped front is cut off once it is half the array.
 */
class HitLog {
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  /** The i-th live entry, oldest first. */
  at(i: number): number | undefined {
    return this.times[this.head + i];
  }

  /** Forgets every entry at or before `from`, and any beyond the newest `keep`. */
  dropThrough(from: number, keep: number): void {
    const times = this.times;
    let head = this.head;
    while (head < times.length && (times[head] ?? 0) <= from) head++;
    if (times.length - head > keep) head = times.length - keep;
    if (head > 1024 && head * 2 > times.length) {
      this.times = times.slice(head);
      head = 0;
    }
    this.head = head;
  }

  push(time: number): void {
    this.times.push(time);
  }
}

/**
 * The in-process sliding log, for a single node (no ORGVAULT_REDIS_URL). Node runs this code on one
 * thread, so check-and-record needs no lock. Bounded: at most maxKeys keys (oldest evicted first,
 * a Map keeps insertion order) and at most `limit` timestamps per key.
 */
export class MemoryWindowStore implements WindowStore {
  private readonly hits = new Map<string, HitLog>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  async take(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    return this.takeNow(key, limit, windowMs);
  }

  takeNow(key: string, limit: number, windowMs: number): WindowDecision {
    const decision = this.decide(key, limit, windowMs);
    if (decision.ok) this.record(key);
    return decision;
  }

  async peek(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    return this.decide(key, limit, windowMs);
  }

  async hit(key: string, _windowMs: number): Promise<void> {
    this.record(key);
  }

  async close(): Promise<void> {
    this.hits.clear();
  }

  private live(key: string, windowMs: number): HitLog | undefined {
    const log = this.hits.get(key);
    if (!log) return undefined;
    log.dropThrough(this.now() - windowMs, MAX_ENTRIES_PER_KEY);
    if (log.size === 0) this.hits.delete(key);
    return log;
  }

  private decide(key: string, limit: number, windowMs: number): WindowDecision {
    const log = this.live(key, windowMs);
    const size = log?.size ?? 0;
    if (size < limit) return { ok: true };
    // Room appears when the hit that put the key at its limit leaves the window.
    const blocking = log?.at(size - limit) ?? this.now();
    return { ok: false, retryAfterMs: Math.max(1, blocking + windowMs - this.now()) };
  }

  private record(key: string): void {
    let log = this.hits.get(key);
    if (!log) {
      if (this.hits.size >= this.maxKeys) {
        const oldest = this.hits.keys().next().value;
        if (oldest !== undefined) this.hits.delete(oldest);
      }
      log = new HitLog();
      this.hits.set(key, log);
    }
    log.push(this.now());
    // A key never needs more entries than any limit it is checked against; cap the memory anyway.
    if (log.size > MAX_ENTRIES_PER_KEY) log.dropThrough(Number.NEGATIVE_INFINITY, MAX_ENTRIES_PER_KEY);
  }
}
