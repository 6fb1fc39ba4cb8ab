import type { FastifyInstance } from 'fastify';
import { toApiKeyJson } from '../../auth/api-key-info.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { ref } from '../schemas.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/api-keys: the caller's org's keys (never hashes or secrets). */
export function apiKeysListRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get(
    '/v1/api-keys',
    {
      config: { permission: 'manage_keys' },
      schema: {
        operationId: 'listApiKeys',
        tags: ['keys'],
        summary: "List the caller's org's API keys",
        response: {
          200: json(
            {
              type: 'object',
              properties: { api_keys: { type: 'array', items: ref('ApiKey') } },
              required: ['api_keys'],
            },
            'The keys, never their hashes or secrets',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const keys = await orgOf(vault, request).keys.list();
      return { api_keys: keys.map(toApiKeyJson) };
    },
  );
}
