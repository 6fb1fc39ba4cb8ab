import type { FastifyInstance } from 'fastify';
import { VaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import { orgOf } from '../route-config.js';
import { errorResponses, moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/** GET /v1/modules/:category/:platform/credentials: field names and times, never values. */
export function credentialsGetRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Params: ModuleParams }>(
    '/v1/modules/:category/:platform/credentials',
    {
      config: { permission: 'read_config' },
      schema: {
        summary: 'Credential metadata (field names, times); values are never returned',
        params: moduleParams,
        response: {
          200: {
            type: 'object',
            properties: {
              module_id: { type: 'string' },
              fields: { type: 'array', items: { type: 'string' } },
              created_at: { type: 'string' },
              updated_at: { type: 'string' },
              oauth: {
                type: 'object',
                description: 'OAuth2 modules only: the connection, never a token',
                properties: {
                  connected: { type: 'boolean' },
                  scopes: { type: 'array', items: { type: 'string' } },
                  expires_at: { type: ['string', 'null'] },
                  status: { type: 'string', enum: ['connected', 'needs_reauth', 'not_connected'] },
                },
                required: ['connected', 'scopes', 'expires_at', 'status'],
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      const org = orgOf(vault, request);
      const meta = await org.credentials.metadata(moduleId);
      if (meta === null) throw new VaultError('NOT_FOUND', `no credentials stored for module "${moduleId}"`);
      const oauth = await org.oauth.status(moduleId);
      return {
        module_id: meta.moduleId,
        fields: meta.fields,
        created_at: meta.createdAt,
        updated_at: meta.updatedAt,
        ...(oauth === null
          ? {}
          : {
              oauth: {
                connected: oauth.connected,
                scopes: oauth.scopes,
                expires_at: oauth.expiresAt,
                status: oauth.status,
              },
            }),
      };
    },
  );
}
