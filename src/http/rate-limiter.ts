import type { AuthContext } from './route-config.js';

/** Outcome of a rate check; a refusal says when to come back (Retry-After). */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** One failed authentication: who tried (the client address) and, when the key named one, which key id. */
export interface AuthFailure {
  client: string;
  /** The key id of a presented `ovk_<keyId>_...` key (guesses against one key count together); else null. */
  keyId: string | null;
}

/**
 * The auth hook's rate-limit seam. buildApp takes one through its options; without it nothing is
 * limited. A presented key is always verified first: `checkKey` limits the requests of a valid key,
 * `recordAuthFailure` counts a refused one and says whether it is past the failure limit (429
 * instead of 401). The failure limit therefore never refuses a valid key, whoever else failed.
 */
export interface RequestLimiter {
  recordAuthFailure(failure: AuthFailure): Promise<RateDecision>;
  checkKey(caller: AuthContext, limitPerMinute: number | null): Promise<RateDecision>;
  /**
   * checkKey() answered at once when the limiter can without waiting (counters in this process),
   * counting the request exactly as checkKey would; undefined when it cannot (then call checkKey).
   */
  checkKeyNow?(caller: AuthContext, limitPerMinute: number | null): RateDecision | undefined;
  close?(): Promise<void>;
}

const ALLOW: RateDecision = { ok: true };

export const NO_LIMITS: RequestLimiter = {
  recordAuthFailure: async () => ALLOW,
  checkKey: async () => ALLOW,
  checkKeyNow: () => ALLOW,
};
