import { VaultError } from './errors.js';

/** Identifier rules from DESIGN.md; every id is checked here before it reaches a query. */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const MODULE_PART_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DEFAULT_ORG = 'default';

export function assertOrgId(orgId: unknown): asserts orgId is string {
  if (typeof orgId !== 'string' || !ORG_ID_PATTERN.test(orgId)) {
    throw new VaultError('VALIDATION_FAILED', 'invalid org id: expected ^[a-z0-9][a-z0-9_-]{0,62}$', {
      field: 'org_id',
    });
  }
}

export function isModuleId(moduleId: unknown): moduleId is string {
  if (typeof moduleId !== 'string') return false;
  const slash = moduleId.indexOf('/');
  if (slash < 0 || moduleId.indexOf('/', slash + 1) >= 0) return false;
  return (
    MODULE_PART_PATTERN.test(moduleId.slice(0, slash)) && MODULE_PART_PATTERN.test(moduleId.slice(slash + 1))
  );
}

export function assertModuleId(moduleId: unknown): asserts moduleId is string {
  if (!isModuleId(moduleId)) {
    throw new VaultError(
      'VALIDATION_FAILED',
      'invalid module id: expected category/platform, each part ^[a-z0-9][a-z0-9_-]{0,63}$',
      { field: 'module_id' },
    );
  }
}

export function moduleIdOf(category: string, platform: string): string {
  return `${category}/${platform}`;
}
