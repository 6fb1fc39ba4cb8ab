import type { Permission } from '../../src/auth/permissions.js';
import type { Vault } from '../../src/vault.js';
import { manifest } from '../support/manifests.js';
import type { OrgKeys } from './support.js';

/**
 * Every authenticated route with how to call it successfully in a fresh org. The role matrix runs
 * each one for every role; the coverage test fails when the app has a route missing here.
 */
export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route template as Fastify registers it. */
  route: string;
  permission: Permission;
  /** Sets the org up and returns the concrete request. */
  prepare(
    vault: Vault,
    org: OrgKeys,
  ): Promise<{ url: string; body?: unknown; headers?: Record<string, string> }>;
  /** The status a permitted caller gets; null when any answer but 401/403 is fine. */
  success: number | null;
  /** Names an object of the org (module, credentials, key, conversation): checked for BOLA. */
  object?: 'module' | 'credentials' | 'key' | 'conversation';
}

const M = 'weather/openweather';
const MODULE_URL = `/v1/modules/${M}`;
const OAUTH_MODULE = 'calendar/gcal';

async function installed(vault: Vault, orgId: string): Promise<void> {
  await vault.org(orgId).modules.install(manifest(M));
}

async function withCredentials(vault: Vault, orgId: string): Promise<void> {
  await installed(vault, orgId);
  await vault.org(orgId).credentials.store(M, { api_key: 'sk-catalogue-secret' });
}

async function viewerKeyId(vault: Vault, orgId: string): Promise<string> {
  return (await vault.org(orgId).keys.create({ role: 'viewer', name: 'target' })).keyId;
}

export const ROUTE_CASES: RouteCase[] = [
  {
    method: 'GET',
    route: '/v1/me',
    permission: 'read_config',
    success: 200,
    prepare: async () => ({ url: '/v1/me' }),
  },
  {
    method: 'GET',
    route: '/v1/modules',
    permission: 'read_config',
    success: 200,
    prepare: async () => ({ url: '/v1/modules' }),
  },
  {
    method: 'GET',
    route: '/v1/modules/:category/:platform',
    permission: 'read_config',
    success: 200,
    object: 'module',
    prepare: async (v, o) => {
      await installed(v, o.orgId);
      return { url: MODULE_URL };
    },
  },
  {
    method: 'PUT',
    route: '/v1/modules/:category/:platform',
    permission: 'manage_modules',
    success: 201,
    prepare: async () => ({ url: MODULE_URL, body: manifest(M) }),
  },
  {
    method: 'POST',
    route: '/v1/modules/:category/:platform/enable',
    permission: 'manage_modules',
    success: 200,
    object: 'module',
    prepare: async (v, o) => {
      await installed(v, o.orgId);
      await v.org(o.orgId).modules.disable(M);
      return { url: `${MODULE_URL}/enable` };
    },
  },
  {
    method: 'POST',
    route: '/v1/modules/:category/:platform/disable',
    permission: 'manage_modules',
    success: 200,
    object: 'module',
    prepare: async (v, o) => {
      await installed(v, o.orgId);
      return { url: `${MODULE_URL}/disable` };
    },
  },
  {
    method: 'DELETE',
    route: '/v1/modules/:category/:platform',
    permission: 'manage_modules',
    success: 204,
    object: 'module',
    prepare: async (v, o) => {
      await installed(v, o.orgId);
      return { url: MODULE_URL };
    },
  },
  {
    method: 'PUT',
    route: '/v1/modules/:category/:platform/credentials',
    permission: 'manage_credentials',
    success: 204,
    object: 'module',
    prepare: async (v, o) => {
      await installed(v, o.orgId);
      return { url: `${MODULE_URL}/credentials`, body: { credentials: { api_key: 'sk-new' } } };
    },
  },
  {
    method: 'GET',
    route: '/v1/modules/:category/:platform/credentials',
    permission: 'read_config',
    success: 200,
    object: 'credentials',
    prepare: async (v, o) => {
      await withCredentials(v, o.orgId);
      return { url: `${MODULE_URL}/credentials` };
    },
  },
  {
    method: 'DELETE',
    route: '/v1/modules/:category/:platform/credentials',
    permission: 'manage_credentials',
    success: 204,
    object: 'credentials',
    prepare: async (v, o) => {
      await withCredentials(v, o.orgId);
      return { url: `${MODULE_URL}/credentials` };
    },
  },
  // OAuth2 connect (behaviour in test/oauth/): no outbound request, so no provider is needed here.
  {
    method: 'POST',
    route: '/v1/modules/:category/:platform/oauth/authorize',
    permission: 'manage_credentials',
    success: 200,
    object: 'module',
    prepare: async (v, o) => {
      await v.org(o.orgId).modules.install(
        manifest(OAUTH_MODULE, {
          auth_type: 'oauth2',
          oauth2: {
            grant: 'authorization_code',
            authorization_url: 'https://auth.example.test/authorize',
            token_url: 'https://auth.example.test/token',
            scopes: ['read'],
          },
        }),
      );
      await v
        .org(o.orgId)
        .credentials.store(OAUTH_MODULE, { client_id: 'cid', client_secret: 'sk-oauth-client' });
      return { url: `/v1/modules/${OAUTH_MODULE}/oauth/authorize`, body: {} };
    },
  },
  {
    method: 'GET',
    route: '/v1/api-keys',
    permission: 'manage_keys',
    success: 200,
    prepare: async () => ({ url: '/v1/api-keys' }),
  },
  {
    method: 'POST',
    route: '/v1/api-keys',
    permission: 'manage_keys',
    success: 201,
    prepare: async () => ({ url: '/v1/api-keys', body: { role: 'viewer', name: 'new' } }),
  },
  {
    method: 'POST',
    route: '/v1/api-keys/:key_id/rotate',
    permission: 'manage_keys',
    success: 201,
    object: 'key',
    prepare: async (v, o) => ({ url: `/v1/api-keys/${await viewerKeyId(v, o.orgId)}/rotate`, body: {} }),
  },
  {
    method: 'DELETE',
    route: '/v1/api-keys/:key_id',
    permission: 'manage_keys',
    success: 204,
    object: 'key',
    prepare: async (v, o) => ({ url: `/v1/api-keys/${await viewerKeyId(v, o.orgId)}` }),
  },
  {
    method: 'GET',
    route: '/v1/audit',
    permission: 'read_audit',
    success: 200,
    prepare: async () => ({ url: '/v1/audit' }),
  },
  {
    method: 'GET',
    route: '/v1/audit/checkpoint',
    permission: 'read_audit',
    success: 200,
    prepare: async () => ({ url: '/v1/audit/checkpoint' }),
  },
  {
    method: 'GET',
    route: '/v1/audit/export',
    permission: 'read_audit',
    success: 200,
    prepare: async () => ({ url: '/v1/audit/export?after=0' }),
  },
  // Conversation routes (agent runtime): behaviour in test/agent/http-conversations.test.ts.
  {
    method: 'POST',
    route: '/v1/conversations/:conversation_id/invoke',
    permission: 'invoke_modules',
    success: 200,
    object: 'conversation',
    prepare: async (v, o) => {
      await v.org(o.orgId).modules.install(manifest('demo/echo'));
      return {
        url: '/v1/conversations/matrix-conv/invoke',
        body: { module_id: 'demo/echo', action: 'echo', input: { hello: 'world' } },
      };
    },
  },
  {
    method: 'GET',
    route: '/v1/conversations/:conversation_id',
    permission: 'read_config',
    success: 200,
    object: 'conversation',
    prepare: async (v, o) => {
      await v.org(o.orgId).modules.install(manifest('demo/echo'));
      await v.org(o.orgId).conversations.invoke('matrix-conv', { moduleId: 'demo/echo', action: 'echo' });
      return { url: '/v1/conversations/matrix-conv' };
    },
  },
  {
    method: 'GET',
    route: '/v1/conversations/:conversation_id/tool-results',
    permission: 'read_config',
    success: 200,
    object: 'conversation',
    prepare: async (v, o) => {
      await v.org(o.orgId).modules.install(manifest('demo/echo'));
      await v.org(o.orgId).conversations.invoke('matrix-conv', { moduleId: 'demo/echo', action: 'echo' });
      return { url: '/v1/conversations/matrix-conv/tool-results?after=0&limit=10' };
    },
  },
  // MCP (behaviour in test/mcp/): the route needs read_config, tools/call checks invoke_modules itself.
  {
    method: 'POST',
    route: '/v1/mcp',
    permission: 'read_config',
    success: 200,
    prepare: async (v, o) => {
      await v.org(o.orgId).modules.install(manifest('demo/echo'));
      return {
        url: '/v1/mcp',
        body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
        headers: { accept: 'application/json, text/event-stream' },
      };
    },
  },
  {
    method: 'GET',
    route: '/v1/mcp',
    permission: 'read_config',
    success: 405,
    prepare: async () => ({ url: '/v1/mcp' }),
  },
  {
    method: 'DELETE',
    route: '/v1/mcp',
    permission: 'read_config',
    success: 405,
    prepare: async () => ({ url: '/v1/mcp' }),
  },
];
