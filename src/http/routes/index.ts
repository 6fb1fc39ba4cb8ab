import type { FastifyInstance } from 'fastify';
import { apiKeyRevokeRoute } from './api-key-revoke.js';
import { apiKeyRotateRoute } from './api-key-rotate.js';
import { apiKeysCreateRoute } from './api-keys-create.js';
import { apiKeysListRoute } from './api-keys-list.js';
import { auditCheckpointRoute } from './audit-checkpoint.js';
import { auditExportRoute } from './audit-export.js';
import { auditListRoute } from './audit-list.js';
import { auditPublicKeysRoute } from './audit-public-keys.js';
import { bootstrapRoute } from './bootstrap.js';
import { conversationGetRoute } from './conversation-get.js';
import { conversationInvokeRoute } from './conversation-invoke.js';
import { conversationToolResultsRoute } from './conversation-tool-results.js';
import { credentialsDeleteRoute } from './credentials-delete.js';
import { credentialsGetRoute } from './credentials-get.js';
import { credentialsPutRoute } from './credentials-put.js';
import type { RouteDeps } from './deps.js';
import { healthRoute } from './health.js';
import { mcpRoute } from './mcp.js';
import { meRoute } from './me.js';
import { metricsRoute } from './metrics.js';
import { moduleDeleteRoute } from './module-delete.js';
import { moduleGetRoute } from './module-get.js';
import { modulePutRoute } from './module-put.js';
import { moduleStatusRoutes } from './module-status.js';
import { modulesListRoute } from './modules-list.js';
import { oauthAuthorizeRoute } from './oauth-authorize.js';
import { oauthCallbackRoute } from './oauth-callback.js';
import { openapiRoute } from './openapi.js';

/**
 * Every route of the API. A route file declares `config: { permission }` or `config: { public: true }`;
 * buildApp refuses to start with a route that declares neither.
 */
export const ROUTES: ReadonlyArray<(app: FastifyInstance, deps: RouteDeps) => void> = [
  healthRoute,
  openapiRoute,
  metricsRoute,
  bootstrapRoute,
  meRoute,
  modulesListRoute,
  moduleGetRoute,
  modulePutRoute,
  moduleStatusRoutes,
  moduleDeleteRoute,
  credentialsPutRoute,
  credentialsGetRoute,
  credentialsDeleteRoute,
  oauthAuthorizeRoute,
  oauthCallbackRoute,
  apiKeysListRoute,
  apiKeysCreateRoute,
  apiKeyRotateRoute,
  apiKeyRevokeRoute,
  auditListRoute,
  auditCheckpointRoute,
  auditExportRoute,
  auditPublicKeysRoute,
  conversationInvokeRoute,
  conversationGetRoute,
  conversationToolResultsRoute,
  mcpRoute,
];

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  for (const route of ROUTES) route(app, deps);
}
