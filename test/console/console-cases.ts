import type { Permission } from '../../src/auth/permissions.js';
import type { Vault } from '../../src/vault.js';
import type { OrgKeys } from '../http/support.js';
import { manifest } from '../support/manifests.js';

/** Every console route, with how to call it successfully in a fresh org (the console's role matrix). */
export interface ConsoleCase {
  method: 'GET' | 'POST';
  route: string;
  permission: Permission;
  prepare(vault: Vault, org: OrgKeys): Promise<{ url: string; form?: Record<string, string> }>;
  /** The status a permitted caller gets; null when any answer but 401/403 is fine. */
  success: number | null;
  /** Names an object of the org: checked for BOLA with another org's session. */
  object?: 'module' | 'key';
}

const M = 'weather/openweather';
const BASE = `/console/modules/${M}`;

async function installed(vault: Vault, orgId: string): Promise<void> {
  await vault.org(orgId).modules.install(manifest(M));
}

async function targetKey(vault: Vault, orgId: string): Promise<string> {
  return (await vault.org(orgId).keys.create({ role: 'viewer', name: 'target' })).keyId;
}

const at = (url: string) => async () => ({ url });

export const CONSOLE_CASES: ConsoleCase[] = [
  { method: 'GET', route: '/console', permission: 'read_config', prepare: at('/console'), success: 200 },
  {
    method: 'GET',
    route: '/console/modules',
    permission: 'read_config',
    prepare: at('/console/modules'),
    success: 200,
  },
  {
    method: 'POST',
    route: '/console/modules',
    permission: 'manage_modules',
    prepare: async () => ({ url: '/console/modules', form: { manifest: JSON.stringify(manifest(M)) } }),
    success: 303,
  },
  {
    method: 'GET',
    route: '/console/modules/:category/:platform',
    permission: 'read_config',
    prepare: async (vault, org) => {
      await installed(vault, org.orgId);
      return { url: BASE };
    },
    success: 200,
    object: 'module',
  },
  ...(['enable', 'disable', 'uninstall'] as const).map(
    (verb): ConsoleCase => ({
      method: 'POST',
      route: `/console/modules/:category/:platform/${verb}`,
      permission: 'manage_modules',
      prepare: async (vault, org) => {
        await installed(vault, org.orgId);
        if (verb === 'enable') await vault.org(org.orgId).modules.disable(M);
        return { url: `${BASE}/${verb}` };
      },
      success: 303,
      object: 'module',
    }),
  ),
  {
    method: 'GET',
    route: '/console/credentials',
    permission: 'read_config',
    prepare: at('/console/credentials'),
    success: 200,
  },
  {
    method: 'POST',
    route: '/console/modules/:category/:platform/credentials',
    permission: 'manage_credentials',
    prepare: async (vault, org) => {
      await installed(vault, org.orgId);
      return { url: `${BASE}/credentials`, form: { field_api_key: 'sk-console-secret' } };
    },
    success: 303,
    object: 'module',
  },
  {
    method: 'POST',
    route: '/console/modules/:category/:platform/credentials/delete',
    permission: 'manage_credentials',
    prepare: async (vault, org) => {
      await installed(vault, org.orgId);
      await vault.org(org.orgId).credentials.store(M, { api_key: 'sk-console-secret' });
      return { url: `${BASE}/credentials/delete` };
    },
    success: 303,
    object: 'module',
  },
  {
    method: 'POST',
    route: '/console/modules/:category/:platform/oauth/connect',
    permission: 'manage_credentials',
    prepare: async (vault, org) => {
      await installed(vault, org.orgId);
      return { url: `${BASE}/oauth/connect` };
    },
    // The module here has no oauth2 section, so the allowed roles get the OAuth service's refusal
    // (test/console/console-oauth-connect.test.ts connects one that has).
    success: null,
    object: 'module',
  },
  {
    method: 'GET',
    route: '/console/keys',
    permission: 'manage_keys',
    prepare: at('/console/keys'),
    success: 200,
  },
  {
    method: 'POST',
    route: '/console/keys',
    permission: 'manage_keys',
    prepare: async () => ({
      url: '/console/keys',
      form: { role: 'viewer', name: 'made-in-console', expires_in: '86400' },
    }),
    success: 201,
  },
  {
    method: 'GET',
    route: '/console/keys/:key_id',
    permission: 'manage_keys',
    prepare: async (vault, org) => ({ url: `/console/keys/${await targetKey(vault, org.orgId)}` }),
    success: 200,
    object: 'key',
  },
  {
    method: 'POST',
    route: '/console/keys/:key_id/rotate',
    permission: 'manage_keys',
    prepare: async (vault, org) => ({
      url: `/console/keys/${await targetKey(vault, org.orgId)}/rotate`,
      form: { grace_seconds: '3600' },
    }),
    success: 201,
    object: 'key',
  },
  {
    method: 'POST',
    route: '/console/keys/:key_id/revoke',
    permission: 'manage_keys',
    prepare: async (vault, org) => ({ url: `/console/keys/${await targetKey(vault, org.orgId)}/revoke` }),
    success: 303,
    object: 'key',
  },
  {
    method: 'GET',
    route: '/console/audit',
    permission: 'read_audit',
    prepare: at('/console/audit'),
    success: 200,
  },
  {
    method: 'GET',
    route: '/console/audit/checkpoint',
    permission: 'read_audit',
    prepare: at('/console/audit/checkpoint'),
    success: 200,
  },
  {
    method: 'GET',
    route: '/console/audit/export',
    permission: 'read_audit',
    prepare: at('/console/audit/export'),
    success: 200,
  },
  {
    method: 'GET',
    route: '/console/conversations',
    permission: 'read_config',
    prepare: at('/console/conversations'),
    success: 200,
  },
  {
    method: 'POST',
    route: '/console/sign-out',
    permission: 'read_config',
    prepare: at('/console/sign-out'),
    success: 303,
  },
];
