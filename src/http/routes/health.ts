import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './deps.js';

/** GET /health: liveness and whether the database answers. Public. */
export function healthRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness and database check',
        security: [],
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, engine: { type: 'string' } },
          },
        },
      },
    },
    async () => {
      // One single-row read proves the database still answers; an exception becomes a plain 500.
      await vault.ping();
      return { status: 'ok', engine: vault.engine };
    },
  );
}
