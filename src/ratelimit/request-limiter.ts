import type { AuthFailure, RateDecision, RequestLimiter } from '../http/rate-limiter.js';
import type { AuthContext } from '../http/route-config.js';
import type { WindowDecision, WindowStore } from './window-store.js';

const MINUTE_MS = 60_000;
const ALLOW: RateDecision = { ok: true };

export interface WindowRequestLimiterOptions {
  store: WindowStore;
  /** Requests per minute for a key whose row sets no rate_limit_per_minute (ORGVAULT_RATE_LIMIT_PER_MINUTE). */
  perKeyPerMinute: number;
  /**
   * Failed authentications per minute (ORGVAULT_AUTH_FAILURES_PER_MINUTE), counted per client address
   * and, separately, per key id the failures named.
   */
  authFailuresPerMinute: number;
  /** Told when the counter store fails; the request is then let through (see below). */
  onStoreError?: (err: unknown) => void;
}

const toRate = (d: WindowDecision): RateDecision =>
  d.ok ? ALLOW : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)) };

/**
 * The HTTP auth hook's limiter: per API key (the key row's rate_limit_per_minute, else the default)
 * and, for failed authentications, per client address and per key id, each at most N in any
 * rolling minute. A failure past either limit is answered 429 instead of 401; a counter already at
 * N records nothing more (so it never holds more than N entries). Valid keys are never
 * counted here, so no amount of guessing by anyone locks a valid key out.
 *
 * If the counter store (Redis) fails, requests are let through and the error is reported: a Redis
 * outage must not take the API down, and authentication itself never depends on the limiter.
 */
export class WindowRequestLimiter implements RequestLimiter {
  constructor(private readonly options: WindowRequestLimiterOptions) {}

  async recordAuthFailure(failure: AuthFailure): Promise<RateDecision> {
    const limit = this.options.authFailuresPerMinute;
    const keys = [`authfail:client:${failure.client}`];
    if (failure.keyId !== null) keys.push(`authfail:key:${failure.keyId}`);
    // Both counters are taken even when the first refuses: guesses against a key id count whichever
    // address they come from.
    const decisions = await Promise.all(
      keys.map((k) => this.guard(() => this.options.store.take(k, limit, MINUTE_MS))),
    );
    let worst: RateDecision = ALLOW;
    for (const d of decisions) {
      if (!d.ok && (worst.ok || d.retryAfterSeconds > worst.retryAfterSeconds)) worst = d;
    }
    return worst;
  }

  checkKey(caller: AuthContext, limitPerMinute: number | null): Promise<RateDecision> {
    const limit = limitPerMinute ?? this.options.perKeyPerMinute;
    return this.guard(() => this.options.store.take(`key:${caller.keyId}`, limit, MINUTE_MS));
  }

  checkKeyNow(caller: AuthContext, limitPerMinute: number | null): RateDecision | undefined {
    const store = this.options.store;
    if (store.takeNow === undefined) return undefined;
    const limit = limitPerMinute ?? this.options.perKeyPerMinute;
    try {
      return toRate(store.takeNow(`key:${caller.keyId}`, limit, MINUTE_MS));
    } catch (err) {
      this.options.onStoreError?.(err);
      return ALLOW;
    }
  }

  close(): Promise<void> {
    return this.options.store.close();
  }

  private async guard(fn: () => Promise<WindowDecision>): Promise<RateDecision> {
    try {
      return toRate(await fn());
    } catch (err) {
      this.options.onStoreError?.(err);
      return ALLOW;
    }
  }
}
