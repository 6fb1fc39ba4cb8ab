import type { RateDecision, RequestLimiter } from '../http/rate-limiter.js';
import type { AuthContext } from '../http/route-config.js';
import type { WindowDecision, WindowStore } from './window-store.js';

const MINUTE_MS = 60_000;
const ALLOW: RateDecision = { ok: true };

export interface WindowRequestLimiterOptions {
  store: WindowStore;
  /** Requests per minute for a key whose row sets no rate_limit_per_minute (ORGVAULT_RATE_LIMIT_PER_MINUTE). */
  perKeyPerMinute: number;
  /** Failed authentications per minute per client address (ORGVAULT_AUTH_FAILURES_PER_MINUTE). */
  authFailuresPerMinute: number;
  /** Told when the counter store fails; the request is then let through (see below). */
  onStoreError?: (err: unknown) => void;
}

const toRate = (d: WindowDecision): RateDecision =>
  d.ok ? ALLOW : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)) };

/**
 * The HTTP auth hook's limiter: per API key (the key row's rate_limit_per_minute, else the default)
 * and per client address for failed authentications, each at most N in any rolling minute.
 *
 * If the counter store (Redis) fails, requests are let through and the error is reported: a Redis
 * outage must not take the API down, and authentication itself never depends on the limiter.
 */
export class WindowRequestLimiter implements RequestLimiter {
  constructor(private readonly options: WindowRequestLimiterOptions) {}

  checkClient(clientAddress: string): Promise<RateDecision> {
    return this.guard(() =>
      this.options.store.peek(`authfail:${clientAddress}`, this.options.authFailuresPerMinute, MINUTE_MS),
    );
  }

  async recordAuthFailure(clientAddress: string): Promise<void> {
    await this.guard(async () => {
      await this.options.store.hit(`authfail:${clientAddress}`, MINUTE_MS);
      return { ok: true };
    });
  }

  checkKey(caller: AuthContext, limitPerMinute: number | null): Promise<RateDecision> {
    const limit = limitPerMinute ?? this.options.perKeyPerMinute;
    return this.guard(() => this.options.store.take(`key:${caller.keyId}`, limit, MINUTE_MS));
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
