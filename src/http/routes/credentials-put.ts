import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { errorResponses, noContent } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/** PUT /v1/modules/:category/:platform/credentials {credentials: {...}}: store or replace, 204. */
export function credentialsPutRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.put<{ Params: ModuleParams; Body: { credentials: Record<string, unknown> } }>(
    '/v1/modules/:category/:platform/credentials',
    {
      config: { permission: 'manage_credentials' },
      schema: {
        operationId: 'putCredentials',
        tags: ['credentials'],
        summary: 'Store (or replace) the credentials of a module; values are encrypted and never shown again',
        params: moduleParams,
        body: {
          type: 'object',
          required: ['credentials'],
          properties: {
            credentials: {
              type: 'object',
              additionalProperties: { type: ['string', 'number', 'boolean'] },
            },
          },
          additionalProperties: false,
        },
        response: { 204: noContent('Stored'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      // The service answers NOT_FOUND for a module not installed in this org (another org's included).
      await orgOf(vault, request).credentials.store(moduleId, request.body.credentials);
      return reply.code(204).send();
    },
  );
}
