import { describe, expect, it } from 'vitest';
import { hasPermission, PERMISSIONS, ROLE_PERMISSIONS, roleAtMost } from '../../src/auth/permissions.js';

/** DESIGN.md's table, written out once more by hand: an accidental edit of the code fails here. */
const DESIGN_TABLE: Record<string, string> = {
  //                   viewer operator admin owner
  read_config: 'xxxx',
  manage_modules: '.xxx',
  invoke_modules: '.xxx',
  write_config: '..xx',
  manage_keys: '..xx',
  read_audit: '..xx',
  manage_credentials: '...x',
};

describe('permission table', () => {
  it('matches DESIGN.md exactly, for every role and permission', () => {
    expect([...PERMISSIONS].sort()).toEqual(Object.keys(DESIGN_TABLE).sort());
    const roles = ['viewer', 'operator', 'admin', 'owner'] as const;
    for (const [permission, row] of Object.entries(DESIGN_TABLE)) {
      roles.forEach((role, i) => {
        expect(hasPermission(role, permission as (typeof PERMISSIONS)[number]), `${role} ${permission}`).toBe(
          row[i] === 'x',
        );
      });
    }
    for (const role of roles)
      expect(new Set(ROLE_PERMISSIONS[role]).size).toBe(ROLE_PERMISSIONS[role].length);
  });

  it('roles are ordered viewer < operator < admin < owner', () => {
    expect(roleAtMost('viewer', 'operator')).toBe(true);
    expect(roleAtMost('admin', 'admin')).toBe(true);
    expect(roleAtMost('owner', 'admin')).toBe(false);
    expect(roleAtMost('operator', 'viewer')).toBe(false);
  });
});
