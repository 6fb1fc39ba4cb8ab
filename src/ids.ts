import { VaultError } from './errors.js';

/** Identifier rules from DESIGN.md; every id is checked here before it reaches a query. */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Longest category or platform name. */
export const MODULE_PART_MAX = 64;
export const MODULE_PART_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

declare const orgIdBrand: unique symbol;
/**
 * An org id that passed assertOrgId. The tenant services take this type, not a string: the door
 * (`vault.org()`) checks the id once and the services trust it, and the compiler sees to it that
 * every other way into a service checks it too.
 */
export type OrgId = string & { readonly [orgIdBrand]: true };

export const DEFAULT_ORG = 'default' as OrgId;

export function assertOrgId(orgId: unknown): asserts orgId is OrgId {
  if (typeof orgId !== 'string' || !ORG_ID_PATTERN.test(orgId)) {
    throw new VaultError('VALIDATION_FAILED', 'invalid org id: expected ^[a-z0-9][a-z0-9_-]{0,62}$', {
      field: 'org_id',
    });
  }
}

/** The id, checked (VALIDATION_FAILED otherwise). */
export function orgIdOf(orgId: unknown): OrgId {
  assertOrgId(orgId);
  return orgId;
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
