import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { toModuleJson } from '../../modules/module-json.js';
import { internalsOf } from '../../vault-internals.js';
import { ModuleAnswerCache } from '../module-answer-cache.js';
import { errorResponses, json } from '../responses.js';
import { callerOf, orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import { type ModuleParams, moduleNotFound } from './module-not-found.js';

/** GET /v1/modules/:category/:platform */
export function moduleGetRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  const cache = new ModuleAnswerCache(internalsOf(vault).storage);
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
    async (request, reply) => {
      const { orgId } = callerOf(request);
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      // The org first (see ModuleAnswerCache); module ids cannot hold a NUL.
      const key = `${orgId}\0${moduleId}`;
      // Taken by the auth hook before this request read anything: what is cached under it is fresh.
      const token = request.storageToken ?? cache.token();
      let body = cache.get(key, token);
      if (body === null) {
        const module = await orgOf(vault, request).modules.get(moduleId);
        // Absence is never cached: a 404 always reads.
        if (module === null) throw moduleNotFound(moduleId);
        // The route's own compiled 200 schema, as Fastify would serialize the returned object.
        const serialize = reply.getSerializationFunction('200', 'application/json');
        const answer = toModuleJson(module);
        body = Buffer.from(serialize === undefined ? JSON.stringify(answer) : serialize(answer));
        cache.set(key, token, body);
      }
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
