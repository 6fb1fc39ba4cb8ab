import type { FastifyInstance } from 'fastify';
import { VaultError } from '../../errors.js';
import { errorResponses, noContent } from '../responses.js';
import { orgOf } from '../route-config.js';
import { keyIdParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/api-keys/:key_id: revoke now; another org's key is 404, as if absent. */
export function apiKeyRevokeRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.delete<{ Params: { key_id: string } }>(
    '/v1/api-keys/:key_id',
    {
      config: { permission: 'manage_keys' },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['keys'],
        summary: 'Revoke a key (immediately)',
        params: keyIdParams,
        response: { 204: noContent('Revoked'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const found = await orgOf(vault, request).keys.revoke(request.params.key_id);
      if (!found) throw new VaultError('NOT_FOUND', `API key "${request.params.key_id}" not found`);
      return reply.code(204).send();
    },
  );
}
