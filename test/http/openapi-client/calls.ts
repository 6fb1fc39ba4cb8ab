/**
 * Every documented operation of the API, called through a client typed by the types
 * openapi-typescript generated from the served document (./generated/schema.d.ts, written by
 * test/http/openapi-client.test.ts and compiled with tsc there): a success and, where the route can
 * refuse anything, an error. The test validates each answer against the document.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';

export type Expect = (label: string, got: number, want: number) => void;

const M = { category: 'demo', platform: 'echo' } as const;
const manifest = { name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' };
const auth = (key: string) => ({ 'X-API-Key': key });

export async function callEveryRoute(client: Client<paths>, expect: Expect): Promise<void> {
  let r: { response: Response };

  r = await client.GET('/health');
  expect('getHealth', r.response.status, 200);
  r = await client.GET('/openapi.json');
  expect('getOpenApiDocument', r.response.status, 200);
  r = await client.GET('/metrics', { parseAs: 'text' });
  expect('getMetrics', r.response.status, 200);
  r = await client.GET('/v1/audit/public-keys');
  expect('listAuditPublicKeys', r.response.status, 200);

  const boot = await client.POST('/v1/bootstrap');
  expect('bootstrap', boot.response.status, 201);
  const owner = boot.data?.api_key ?? '';
  r = await client.POST('/v1/bootstrap');
  expect('bootstrap again', r.response.status, 409);
  const headers = auth(owner);

  r = await client.GET('/v1/me', { headers: headers });
  expect('getMe', r.response.status, 200);
  r = await client.GET('/v1/me', { headers: auth('ovk_nobody_wrong') });
  expect('getMe unauthenticated', r.response.status, 401);

  const path = { params: { path: M }, headers: headers };
  r = await client.PUT('/v1/modules/{category}/{platform}', { ...path, body: manifest });
  expect('putModule', r.response.status, 201);
  r = await client.PUT('/v1/modules/{category}/{platform}', { ...path, body: manifest });
  expect('putModule replaced', r.response.status, 200);
  r = await client.PUT('/v1/modules/{category}/{platform}', {
    ...path,
    body: { ...manifest, platform: 'other' },
  });
  expect('putModule mismatched', r.response.status, 400);
  r = await client.GET('/v1/modules', { params: { query: { status: 'installed' } }, headers: headers });
  expect('listModules', r.response.status, 200);
  r = await client.GET('/v1/modules', { params: { query: { category: 'NOT valid' } }, headers: headers });
  expect('listModules bad category', r.response.status, 400);
  r = await client.GET('/v1/modules/{category}/{platform}', path);
  expect('getModule', r.response.status, 200);
  const missing = { params: { path: { category: 'demo', platform: 'absent' } }, headers: headers };
  r = await client.GET('/v1/modules/{category}/{platform}', missing);
  expect('getModule missing', r.response.status, 404);
  r = await client.POST('/v1/modules/{category}/{platform}/disable', path);
  expect('disableModule', r.response.status, 200);
  r = await client.POST('/v1/modules/{category}/{platform}/disable', missing);
  expect('disableModule missing', r.response.status, 404);
  r = await client.POST('/v1/modules/{category}/{platform}/enable', path);
  expect('enableModule', r.response.status, 200);
  r = await client.POST('/v1/modules/{category}/{platform}/enable', missing);
  expect('enableModule missing', r.response.status, 404);

  const creds = { credentials: { api_key: 'sk-generated-client-secret' } };
  r = await client.PUT('/v1/modules/{category}/{platform}/credentials', { ...path, body: creds });
  expect('putCredentials', r.response.status, 204);
  r = await client.PUT('/v1/modules/{category}/{platform}/credentials', { ...missing, body: creds });
  expect('putCredentials missing module', r.response.status, 404);
  r = await client.GET('/v1/modules/{category}/{platform}/credentials', path);
  expect('getCredentials', r.response.status, 200);
  r = await client.DELETE('/v1/modules/{category}/{platform}/credentials', path);
  expect('deleteCredentials', r.response.status, 204);
  r = await client.DELETE('/v1/modules/{category}/{platform}/credentials', path);
  expect('deleteCredentials again', r.response.status, 404);
  r = await client.GET('/v1/modules/{category}/{platform}/credentials', path);
  expect('getCredentials none', r.response.status, 404);

  const conversation = { params: { path: { conversation_id: 'conv-1' } }, headers: headers };
  r = await client.POST('/v1/conversations/{conversation_id}/invoke', {
    ...conversation,
    body: { module_id: 'demo/echo', action: 'echo', input: { hello: 'world' } },
  });
  expect('invokeModule', r.response.status, 200);
  r = await client.POST('/v1/conversations/{conversation_id}/invoke', {
    ...conversation,
    body: { module_id: 'demo/absent', action: 'echo' },
  });
  expect('invokeModule missing module', r.response.status, 404);
  r = await client.GET('/v1/conversations/{conversation_id}', conversation);
  expect('getConversation', r.response.status, 200);
  r = await client.GET('/v1/conversations/{conversation_id}', {
    params: { path: { conversation_id: 'never-used' } },
    headers: headers,
  });
  expect('getConversation missing', r.response.status, 404);

  const created = await client.POST('/v1/api-keys', {
    headers: headers,
    body: { role: 'viewer', name: 'dashboard' },
  });
  expect('createApiKey', created.response.status, 201);
  const viewer = created.data?.api_key ?? '';
  const viewerId = created.data?.key_id ?? '';
  r = await client.POST('/v1/api-keys', { headers: auth(viewer), body: { role: 'owner' } });
  expect('createApiKey as viewer', r.response.status, 403);
  r = await client.GET('/v1/api-keys', { headers: headers });
  expect('listApiKeys', r.response.status, 200);
  r = await client.GET('/v1/api-keys', { headers: auth(viewer) });
  expect('listApiKeys as viewer', r.response.status, 403);
  // No body at all: the document says rotate's body is optional.
  const rotated = await client.POST('/v1/api-keys/{key_id}/rotate', {
    params: { path: { key_id: viewerId } },
    headers: headers,
  });
  expect('rotateApiKey', rotated.response.status, 201);
  r = await client.POST('/v1/api-keys/{key_id}/rotate', {
    params: { path: { key_id: viewerId } },
    headers: headers,
    body: { grace_seconds: -1 },
  });
  expect('rotateApiKey negative grace', r.response.status, 400);
  r = await client.DELETE('/v1/api-keys/{key_id}', {
    params: { path: { key_id: rotated.data?.key_id ?? '' } },
    headers: headers,
  });
  expect('revokeApiKey', r.response.status, 204);
  r = await client.DELETE('/v1/api-keys/{key_id}', {
    params: { path: { key_id: 'no-such-key' } },
    headers: headers,
  });
  expect('revokeApiKey missing', r.response.status, 404);

  r = await client.GET('/v1/audit', { params: { query: { limit: 5 } }, headers: headers });
  expect('listAuditEvents', r.response.status, 200);
  r = await client.GET('/v1/audit', { params: { query: { limit: 0 } }, headers: headers });
  expect('listAuditEvents limit=0', r.response.status, 400);
  r = await client.GET('/v1/audit', { params: { query: { limit: 9999 } }, headers: headers });
  expect('listAuditEvents limit=9999', r.response.status, 400);
  r = await client.GET('/v1/audit/checkpoint', { headers: headers });
  expect('getAuditCheckpoint', r.response.status, 200);
  r = await client.GET('/v1/audit/checkpoint', { headers: auth(viewer) });
  expect('getAuditCheckpoint as viewer', r.response.status, 403);
  r = await client.GET('/v1/audit/export', {
    params: { query: { after: 0 } },
    headers: headers,
    parseAs: 'text',
  });
  expect('exportAuditEvents', r.response.status, 200);
  r = await client.GET('/v1/audit/export', {
    params: { query: { after: -1 } },
    headers: headers,
    parseAs: 'text',
  });
  expect('exportAuditEvents negative after', r.response.status, 400);

  const mcpHeaders = { ...headers, accept: 'application/json, text/event-stream' };
  r = await client.POST('/v1/mcp', {
    headers: mcpHeaders,
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  });
  expect('postMcp', r.response.status, 200);
  r = await client.POST('/v1/mcp', { headers: mcpHeaders, body: { not: 'json-rpc' } });
  expect('postMcp not JSON-RPC', r.response.status, 400);
  r = await client.POST('/v1/mcp', {
    headers: { ...headers, accept: 'text/html' },
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  });
  expect('postMcp bad accept', r.response.status, 406);
  r = await client.GET('/v1/conversations/{conversation_id}/tool-results', {
    ...conversation,
    params: { ...conversation.params, query: { after: 0, limit: 10 } },
  });
  expect('listToolResults', r.response.status, 200);
  r = await client.GET('/v1/conversations/{conversation_id}/tool-results', {
    ...conversation,
    params: { ...conversation.params, query: { limit: 0 } },
  });
  expect('listToolResults limit=0', r.response.status, 400);

  // An OAuth2 module: authorize answers the provider URL (nothing is fetched until the callback).
  const gcal = { params: { path: { category: 'calendar', platform: 'gcal' } }, headers: headers };
  r = await client.PUT('/v1/modules/{category}/{platform}', {
    ...gcal,
    body: {
      name: 'gcal',
      category: 'calendar',
      platform: 'gcal',
      version: '1.0.0',
      auth_type: 'oauth2',
      credential_fields: [
        { name: 'client_id', required: true },
        { name: 'client_secret', required: true },
      ],
      oauth2: {
        grant: 'authorization_code',
        authorization_url: 'https://accounts.example/authorize',
        token_url: 'https://accounts.example/token',
        scopes: ['calendar.read'],
      },
    },
  });
  expect('putModule oauth2', r.response.status, 201);
  r = await client.PUT('/v1/modules/{category}/{platform}/credentials', {
    ...gcal,
    body: { credentials: { client_id: 'gcal-client', client_secret: 'gcal-client-secret' } },
  });
  expect('putCredentials oauth2 client', r.response.status, 204);
  r = await client.POST('/v1/modules/{category}/{platform}/oauth/authorize', {
    ...gcal,
    body: { return_to: '/console/credentials' },
  });
  expect('startOAuthAuthorization', r.response.status, 200);
  r = await client.POST('/v1/modules/{category}/{platform}/oauth/authorize', {
    ...gcal,
    body: { return_to: 'https://elsewhere.example/' },
  });
  expect('startOAuthAuthorization foreign return_to', r.response.status, 400);
  // Its success needs a provider's code: test/oauth runs that against oauth2-mock-server.
  r = await client.GET('/v1/oauth/callback', { params: { query: { state: 'forged-state', code: 'x' } } });
  expect('completeOAuthCallback forged state', r.response.status, 400);

  r = await client.DELETE('/v1/modules/{category}/{platform}', path);
  expect('uninstallModule', r.response.status, 204);
  r = await client.DELETE('/v1/modules/{category}/{platform}', path);
  expect('uninstallModule again', r.response.status, 404);
}
