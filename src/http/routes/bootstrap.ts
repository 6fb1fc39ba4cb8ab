import type { FastifyInstance } from 'fastify';
import { toIssuedKeyJson } from '../../auth/api-key-info.js';
import { errorResponses, json } from '../responses.js';
import { actorOf } from '../route-config.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/bootstrap: the first owner key, while no usable key exists; 409 afterwards. Public. */
export function bootstrapRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.post(
    '/v1/bootstrap',
    {
      config: { public: true },
      schema: {
        operationId: 'bootstrap',
        tags: ['keys'],
        summary: 'Create the first owner key (in the default org); only while no usable key exists',
        security: [],
        response: { 201: json('IssuedApiKey', 'The first owner key (shown once)'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await vault.auth.bootstrap(actorOf(request));
      reply.code(201);
      return toIssuedKeyJson(issued);
    },
  );
}
