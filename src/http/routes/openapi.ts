import type { FastifyInstance } from 'fastify';

/** GET /openapi.json: the OpenAPI 3 document @fastify/swagger builds from the route schemas. Public. */
export function openapiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
