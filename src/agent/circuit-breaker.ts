import type { Clock } from '../clock.js';
import { failureStreakReached } from '../modules/module-health.js';
import type { ModuleRow } from '../storage/rows.js';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  threshold: number;
  /** How long an open breaker refuses calls before letting one trial through. */
  cooldownMs: number;
  clock: Clock;
}

export type Admission =
  | { kind: 'closed' }
  /** The one call after the cool-down whose outcome decides; release once its outcome is recorded. */
  | { kind: 'trial'; release: () => void }
  | { kind: 'open'; retryAfterMs: number };

/**
 * Fail fast for a module that keeps failing. The state lives in the module row (consecutive
 * failures, time of the last one), so it survives restarts and is shared by every node; only "a
 * trial is in flight" is per process, which at worst lets one trial per node through.
 */
export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private readonly trials = new Set<string>();

  constructor(options: BreakerOptions) {
    this.options = options;
  }

  get threshold(): number {
    return this.options.threshold;
  }

  admit(row: ModuleRow): Admission {
    if (!failureStreakReached(row.consecutiveFailures, this.options.threshold)) return { kind: 'closed' };
    const last = row.lastFailureAt === null ? Number.NEGATIVE_INFINITY : Date.parse(row.lastFailureAt);
    const elapsed = this.options.clock().getTime() - last;
    if (elapsed < this.options.cooldownMs)
      return { kind: 'open', retryAfterMs: this.options.cooldownMs - elapsed };
    const key = `${row.orgId}\0${row.moduleId}`;
    if (this.trials.has(key)) return { kind: 'open', retryAfterMs: 0 };
    this.trials.add(key);
    let released = false;
    return {
      kind: 'trial',
      release: () => {
        if (released) return;
        released = true;
        this.trials.delete(key);
      },
    };
  }
}
