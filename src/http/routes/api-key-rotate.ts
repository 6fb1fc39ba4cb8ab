import type { FastifyInstance } from 'fastify';
import { toIssuedKeyJson } from '../../auth/api-key-info.js';
import { MAX_GRACE_SECONDS } from '../../auth/api-key-service.js';
import { VaultError } from '../../errors.js';
import { OPTIONAL_BODY } from '../openapi-document.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { keyIdParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/api-keys/:key_id/rotate {grace_seconds?}: a new key of the same role; 201. */
export function apiKeyRotateRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.post<{ Params: { key_id: string }; Body: { grace_seconds?: number } | undefined }>(
    '/v1/api-keys/:key_id/rotate',
    {
      config: { permission: 'manage_keys' },
      // The body is optional: no body means the defaults.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        operationId: 'rotateApiKey',
        tags: ['keys'],
        // The body may be omitted (the preValidation above): say so in the document.
        ...({ [OPTIONAL_BODY]: true } as object),
        summary:
          'Rotate a key: a new key with the same role; the old one works until grace_until (default 24 h)',
        params: keyIdParams,
        body: {
          type: 'object',
          properties: { grace_seconds: { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS } },
          additionalProperties: false,
        },
        response: { 201: json('IssuedApiKey', 'The new key (shown once)'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const rotated = await orgOf(vault, request).keys.rotate(request.params.key_id, {
        graceSeconds: request.body?.grace_seconds,
      });
      if (rotated === null) throw new VaultError('NOT_FOUND', `API key "${request.params.key_id}" not found`);
      reply.code(201);
      return {
        ...toIssuedKeyJson(rotated),
        rotated_from: rotated.rotatedFrom,
        rotated_from_grace_until: rotated.rotatedFromGraceUntil,
      };
    },
  );
}
