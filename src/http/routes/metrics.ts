import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './deps.js';

/** GET /metrics: Prometheus text. Public by design (scrapers); it holds no org ids and no secrets. */
export function metricsRoute(app: FastifyInstance, { metrics }: RouteDeps): void {
  app.get(
    '/metrics',
    { config: { public: true }, schema: { summary: 'Prometheus metrics (text format)', security: [] } },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
