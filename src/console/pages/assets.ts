import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../console-deps.js';

/** The only files served; anything else under /console/assets/ is not found. */
const ASSETS = new Set(['console.css', 'console.js']);

/** GET /console/assets/:file: the vendored stylesheet and script (public: the sign-in page needs them). */
export function assetRoutes(app: FastifyInstance, _deps: ConsoleDeps): void {
  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const { file } = request.params;
      if (!ASSETS.has(file)) return reply.callNotFound();
      reply.header('cache-control', 'public, max-age=300');
      return reply.sendFile(file);
    },
  );
}
