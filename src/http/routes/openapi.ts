import type { FastifyInstance } from 'fastify';

/** GET /openapi.json: the OpenAPI 3 document @fastify/swagger builds from the route schemas. Public. */
export function openapiRoute(app: FastifyInstance): void {
  app.get(
    '/openapi.json',
    { config: { public: true }, schema: { summary: 'This OpenAPI 3 document', security: [] } },
    async () => app.swagger(),
  );
}
