import type { WindowDecision, WindowStore } from './window-store.js';

/** Keys tracked at once; past this the oldest keys are forgotten (a bounded cache, stated). */
const DEFAULT_MAX_KEYS = 50_000;

/**
 * The in-process sliding log, for a single node (no ORGVAULT_REDIS_URL). Node runs this code on one
 * thread, so check-and-record needs no lock. Bounded: at most maxKeys keys (oldest evicted first,
 * a Map keeps insertion order) and at most `limit` timestamps per key.
 */
export class MemoryWindowStore implements WindowStore {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  async take(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
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

  private live(key: string, windowMs: number): number[] {
    const log = this.hits.get(key);
    if (!log) return [];
    const from = this.now() - windowMs;
    let drop = 0;
    while (drop < log.length && (log[drop] ?? 0) <= from) drop++;
    if (drop > 0) log.splice(0, drop);
    if (log.length === 0) this.hits.delete(key);
    return log;
  }

  private decide(key: string, limit: number, windowMs: number): WindowDecision {
    const log = this.live(key, windowMs);
    if (log.length < limit) return { ok: true };
    // Room appears when the hit that put the key at its limit leaves the window.
    const blocking = log[log.length - limit] ?? this.now();
    return { ok: false, retryAfterMs: Math.max(1, blocking + windowMs - this.now()) };
  }

  private record(key: string): void {
    let log = this.hits.get(key);
    if (!log) {
      if (this.hits.size >= this.maxKeys) {
        const oldest = this.hits.keys().next().value;
        if (oldest !== undefined) this.hits.delete(oldest);
      }
      log = [];
      this.hits.set(key, log);
    }
    log.push(this.now());
    // A key never needs more entries than any limit it is checked against; cap the memory anyway.
    if (log.length > 100_000) log.splice(0, log.length - 100_000);
  }
}
