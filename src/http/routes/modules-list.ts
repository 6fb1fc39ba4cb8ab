import type { FastifyInstance } from 'fastify';
import { toModuleJson } from '../../modules/module-json.js';
import { MODULE_STATUSES } from '../../modules/module-statuses.js';
import { internalsOf } from '../../vault-internals.js';
import { ModuleAnswerCache } from '../module-answer-cache.js';
import { errorResponses, json } from '../responses.js';
import { callerOf, orgOf } from '../route-config.js';
import { ID_PART, ref } from '../schemas.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/modules?status=&category=: the caller's org's modules. */
export function modulesListRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  const cache = new ModuleAnswerCache(internalsOf(vault).storage);
  app.get<{ Querystring: { status?: string; category?: string } }>(
    '/v1/modules',
    {
      config: { permission: 'read_config' },
      schema: {
        operationId: 'listModules',
        tags: ['modules'],
        summary: "List the caller's org's modules (ordered by category, name)",
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: MODULE_STATUSES },
            category: { type: 'string', pattern: ID_PART },
          },
          additionalProperties: false,
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: { modules: { type: 'array', items: ref('Module') } },
              required: ['modules'],
            },
            "The caller's org's modules",
          ),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { orgId } = callerOf(request);
      const { status, category } = request.query;
      // The key holds the org first: an answer is only ever served to callers of the same org.
      const key = `${orgId}\0${status ?? ''}\0${category ?? ''}`;
      const token = request.storageToken ?? cache.token();
      let body = cache.get(key, token);
      if (body === null) {
        const modules = await orgOf(vault, request).modules.list({ status, category });
        // The route's own compiled 200 schema (as GET of one module serializes it), not JSON.stringify:
        // faster, and the list says of each module exactly what the single read says.
        const serialize = reply.getSerializationFunction('200', 'application/json');
        const answer = { modules: modules.map(toModuleJson) };
        body = Buffer.from(serialize === undefined ? JSON.stringify(answer) : serialize(answer));
        cache.set(key, token, body);
      }
      // Bytes are sent as they are (the schema above documents their shape).
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
