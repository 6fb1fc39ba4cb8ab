import type { AuthContext } from './route-config.js';

/** Outcome of a rate check; a refusal says when to come back (Retry-After). */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * The auth hook's rate-limit seam. buildApp takes one through its options; without it nothing is
 * limited. Checks run in the auth hook: `checkClient` before a key is verified (clients that keep
 * failing authentication), `recordAuthFailure` after a refusal, `checkKey` after success.
 */
export interface RequestLimiter {
  checkClient(clientAddress: string): Promise<RateDecision>;
  recordAuthFailure(clientAddress: string): Promise<void>;
  checkKey(caller: AuthContext, limitPerMinute: number | null): Promise<RateDecision>;
  close?(): Promise<void>;
}

const ALLOW: RateDecision = { ok: true };

export const NO_LIMITS: RequestLimiter = {
  checkClient: async () => ALLOW,
  recordAuthFailure: async () => {},
  checkKey: async () => ALLOW,
};
