import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { toModuleJson } from '../../modules/module-json.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import { type ModuleParams, moduleNotFound } from './module-not-found.js';

/**
 * POST /v1/modules/:category/:platform/enable and /disable: return the module as it now is
 * (enabling an enabled module is not an error). Two routes, one shape, hence one file.
 */
export function moduleStatusRoutes(app: FastifyInstance, { vault }: RouteDeps): void {
  for (const action of ['enable', 'disable'] as const) {
    app.post<{ Params: ModuleParams }>(
      `/v1/modules/:category/:platform/${action}`,
      {
        config: { permission: 'manage_modules' },
        schema: {
          operationId: `${action}Module`,
          tags: ['modules'],
          summary: `${action === 'enable' ? 'Enable' : 'Disable'} a module`,
          params: moduleParams,
          response: { 200: json('Module', 'The module as it now is'), ...errorResponses },
        },
      },
      async (request) => {
        const moduleId = moduleIdOf(request.params.category, request.params.platform);
        const modules = orgOf(vault, request).modules;
        if (action === 'enable') await modules.enable(moduleId);
        else await modules.disable(moduleId);
        const module = await modules.get(moduleId);
        if (module === null) throw moduleNotFound(moduleId);
        return toModuleJson(module);
      },
    );
  }
}
