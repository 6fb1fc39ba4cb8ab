import type { FastifyInstance } from 'fastify';
import { VaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/** GET /v1/modules/:category/:platform/credentials: field names and times, never values. */
export function credentialsGetRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Params: ModuleParams }>(
    '/v1/modules/:category/:platform/credentials',
    {
      config: { permission: 'read_config' },
      schema: {
        operationId: 'getCredentials',
        tags: ['credentials'],
        summary: 'Credential metadata (field names, times); values are never returned',
        params: moduleParams,
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                module_id: { type: 'string' },
                fields: { type: 'array', items: { type: 'string' } },
                created_at: { type: 'string', format: 'date-time' },
                updated_at: { type: 'string', format: 'date-time' },
                oauth: {
                  type: 'object',
                  description: 'OAuth2 modules only: the connection, never a token',
                  properties: {
                    connected: { type: 'boolean' },
                    scopes: { type: 'array', items: { type: 'string' } },
                    expires_at: { type: ['string', 'null'], format: 'date-time' },
                    status: { type: 'string', enum: ['connected', 'needs_reauth', 'not_connected'] },
                  },
                  required: ['connected', 'scopes', 'expires_at', 'status'],
                },
              },
              required: ['module_id', 'fields', 'created_at', 'updated_at'],
            },
            'Field names and times, never values',
          ),
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
