import type { FastifyInstance } from 'fastify';
import { errorResponses, media } from '../responses.js';
import type { RouteDeps } from './deps.js';

/** GET /metrics: Prometheus text. Public by design (scrapers); it holds no org ids and no secrets. */
export function metricsRoute(app: FastifyInstance, { metrics }: RouteDeps): void {
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        operationId: 'getMetrics',
        tags: ['system'],
        summary: 'Prometheus metrics (text format)',
        security: [],
        response: {
          200: media('text/plain', { type: 'string' }, 'Prometheus text exposition format 0.0.4'),
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
