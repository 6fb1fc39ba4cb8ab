/**
 * The lifecycle and health words of a module (NEXUS's), and the rules about them that more than one
 * place applies: the SQL filters with these values, it does not restate them.
 */
export const MODULE_STATUSES = [
  'pending',
  'validating',
  'validated',
  'approved',
  'installed',
  'disabled',
  'failed',
  'uninstalled',
] as const;
export type ModuleStatus = (typeof MODULE_STATUSES)[number];

export const HEALTH_STATUSES = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** A reinstall keeps this status: a module an operator disabled stays disabled through an upgrade. */
export const KEPT_ON_REINSTALL: ModuleStatus = 'disabled';
