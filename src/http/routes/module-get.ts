import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { toModuleJson } from '../../modules/module-json.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import { type ModuleParams, moduleNotFound } from './module-not-found.js';

/** GET /v1/modules/:category/:platform */
export function moduleGetRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Params: ModuleParams }>(
    '/v1/modules/:category/:platform',
    {
      config: { permission: 'read_config' },
      schema: {
        operationId: 'getModule',
        tags: ['modules'],
        summary: 'One module of the caller’s org',
        params: moduleParams,
        response: { 200: json('Module', 'The module'), ...errorResponses },
      },
    },
    async (request) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      const module = await orgOf(vault, request).modules.get(moduleId);
      if (module === null) throw moduleNotFound(moduleId);
      return toModuleJson(module);
    },
  );
}
