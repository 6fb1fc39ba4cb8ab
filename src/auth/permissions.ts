import { ROLES, type Role } from './roles.js';

/**
 * The one permission table (DESIGN.md, Auth). Routes name a permission; nothing else in the code
 * decides which role may do what.
 */
export const PERMISSIONS = [
  'read_config',
  'manage_modules',
  'invoke_modules',
  'write_config',
  'manage_keys',
  'read_audit',
  'manage_credentials',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read_config'],
  operator: ['read_config', 'manage_modules', 'invoke_modules'],
  admin: ['read_config', 'manage_modules', 'invoke_modules', 'write_config', 'manage_keys', 'read_audit'],
  owner: [
    'read_config',
    'manage_modules',
    'invoke_modules',
    'write_config',
    'manage_keys',
    'read_audit',
    'manage_credentials',
  ],
};

export { ROLES, type Role };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** Roles are ordered viewer < operator < admin < owner: a caller may grant at most its own. */
export function roleAtMost(role: Role, ceiling: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(ceiling);
}
