import type { FastifyInstance } from 'fastify';
import { errorResponses, json } from '../responses.js';
import type { RouteDeps } from './deps.js';

/** GET /health: liveness and whether the database answers. Public. */
export function healthRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        operationId: 'getHealth',
        tags: ['system'],
        summary: 'Liveness and database check',
        security: [],
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                status: { type: 'string', enum: ['ok'] },
                engine: { type: 'string', enum: ['sqlite', 'postgres'] },
              },
              required: ['status', 'engine'],
            },
            'The server and its database answer',
          ),
          ...errorResponses,
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
