import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { errorResponses, noContent } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import { type ModuleParams, moduleNotFound } from './module-not-found.js';

/** DELETE /v1/modules/:category/:platform: uninstall; its credentials go with it. */
export function moduleDeleteRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.delete<{ Params: ModuleParams }>(
    '/v1/modules/:category/:platform',
    {
      config: { permission: 'manage_modules' },
      schema: {
        operationId: 'uninstallModule',
        tags: ['modules'],
        summary: 'Uninstall a module and delete its credentials',
        params: moduleParams,
        response: { 204: noContent('Uninstalled'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      if (!(await orgOf(vault, request).modules.uninstall(moduleId))) {
        throw moduleNotFound(moduleId);
      }
      return reply.code(204).send();
    },
  );
}
