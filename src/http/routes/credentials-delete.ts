import type { FastifyInstance } from 'fastify';
import { VaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import { errorResponses, noContent } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/** DELETE /v1/modules/:category/:platform/credentials: 204, or 404 when none are stored. */
export function credentialsDeleteRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.delete<{ Params: ModuleParams }>(
    '/v1/modules/:category/:platform/credentials',
    {
      config: { permission: 'manage_credentials' },
      schema: {
        operationId: 'deleteCredentials',
        tags: ['credentials'],
        summary: 'Delete the credentials of a module',
        params: moduleParams,
        response: { 204: noContent('Deleted'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      if (!(await orgOf(vault, request).credentials.delete(moduleId))) {
        throw new VaultError('NOT_FOUND', `no credentials stored for module "${moduleId}"`);
      }
      return reply.code(204).send();
    },
  );
}
