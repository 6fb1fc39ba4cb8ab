import type { FastifyInstance } from 'fastify';
import { errorResponses, json } from '../responses.js';

/** GET /openapi.json: the OpenAPI 3 document @fastify/swagger builds from the route schemas. Public. */
export function openapiRoute(app: FastifyInstance): void {
  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['system'],
        summary: 'This OpenAPI 3 document',
        security: [],
        response: {
          200: json({ type: 'object', additionalProperties: true }, 'An OpenAPI 3.0 document'),
          ...errorResponses,
        },
      },
    },
    async () => app.swagger(),
  );
}
