import type { FastifyInstance } from 'fastify';
import { toModuleJson } from '../../modules/module-json.js';
import { callerOf } from '../route-config.js';
import { errorResponses, ID_PART, moduleSchema } from '../schemas.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/modules?status=&category=: the caller's org's modules. */
export function modulesListRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Querystring: { status?: string; category?: string } }>(
    '/v1/modules',
    {
      config: { permission: 'read_config' },
      schema: {
        summary: "List the caller's org's modules (ordered by category, name)",
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', maxLength: 32 },
            category: { type: 'string', pattern: ID_PART },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { modules: { type: 'array', items: moduleSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { orgId } = callerOf(request);
      const modules = await vault.services.modules.list(orgId, request.query);
      return { modules: modules.map(toModuleJson) };
    },
  );
}
