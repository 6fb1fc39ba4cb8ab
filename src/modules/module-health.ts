import { VaultError } from '../errors.js';
import type { Repositories } from '../storage/stores.js';
import { HEALTH_STATUSES, type HealthStatus } from './module-statuses.js';

/**
 * The health rules of a module, in one place: what a call's outcome does to the counters and the
 * health status, when a module counts as unhealthy, and the validation of what a system caller sets.
 * The module service (explicit usage and health updates, unhealthy listings) and the conversation
 * service (the outcome of every invocation) both go through here; the storage only moves counters.
 */

/** Failures (total) from which a module is listed as unhealthy whatever its status; the default of listUnhealthy. */
export const DEFAULT_FAILURE_THRESHOLD = 5;

/**
 * Health statuses that list a module as unhealthy (with `failure_count >= threshold`): the rule
 * the stores' "unhealthy" queries filter by.
 */
export const UNHEALTHY_HEALTH_STATUSES: readonly HealthStatus[] = ['unhealthy', 'degraded'];

/** Whether a streak of consecutive failures has reached the breaker's threshold. */
export function failureStreakReached(consecutiveFailures: number, threshold: number): boolean {
  return consecutiveFailures >= threshold;
}

/**
 * Records the outcome of one call inside its transaction. A success counts a use, marks the module
 * healthy and ends its failure streak; a failure counts one failure (total and consecutive) and
 * marks it degraded, or unhealthy once the streak reaches `failureThreshold`.
 */
export async function recordCallOutcome(
  tx: Repositories,
  orgId: string,
  moduleId: string,
  outcome: 'success' | 'failure',
  options: { now: string; failureThreshold: number },
): Promise<void> {
  const { now, failureThreshold } = options;
  if (outcome === 'success') {
    await tx.modules.recordUsage(orgId, moduleId, now);
    await tx.modules.updateHealth(orgId, moduleId, { health: 'healthy', failure: false, now });
    return;
  }
  const module = await tx.modules.findModule(orgId, moduleId);
  const streak = (module?.consecutiveFailures ?? 0) + 1;
  const health = failureStreakReached(streak, failureThreshold) ? 'unhealthy' : 'degraded';
  await tx.modules.updateHealth(orgId, moduleId, { health, failure: true, now });
}

/** A health status a caller names (VALIDATION_FAILED otherwise). */
export function parseHealth(health: string): HealthStatus {
  if (!HEALTH_STATUSES.includes(health as HealthStatus)) {
    throw new VaultError('VALIDATION_FAILED', `health must be one of ${HEALTH_STATUSES.join(', ')}`, {
      field: 'health',
    });
  }
  return health as HealthStatus;
}

/** A failure threshold a caller names: a positive integer (VALIDATION_FAILED otherwise). */
export function checkFailureThreshold(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new VaultError('VALIDATION_FAILED', 'failureThreshold must be a positive integer', {
      field: 'failureThreshold',
    });
  }
}
