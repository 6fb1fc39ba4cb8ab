import type { FastifyInstance } from 'fastify';
import { VaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import { toModuleJson } from '../../modules/module-json.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams, ref } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/** PUT /v1/modules/:category/:platform with a manifest: 201 created, 200 replaced. */
export function modulePutRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.put<{ Params: ModuleParams; Body: Record<string, unknown> }>(
    '/v1/modules/:category/:platform',
    {
      config: { permission: 'manage_modules' },
      schema: {
        operationId: 'putModule',
        tags: ['modules'],
        summary: 'Install or replace a module (the body is its manifest; unknown fields are kept)',
        params: moduleParams,
        body: ref('Manifest'),
        response: {
          200: json('Module', 'Replaced'),
          201: json('Module', 'Installed'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { category, platform } = request.params;
      if (request.body.category !== category || request.body.platform !== platform) {
        throw new VaultError(
          'VALIDATION_FAILED',
          `manifest category/platform must match the path (${moduleIdOf(category, platform)})`,
          { field: 'category' },
        );
      }
      const result = await orgOf(vault, request).modules.upsert(request.body);
      reply.code(result.created ? 201 : 200);
      return toModuleJson(result.module);
    },
  );
}
