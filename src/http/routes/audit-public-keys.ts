import type { FastifyInstance } from 'fastify';
import { errorResponses, json } from '../responses.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/audit/public-keys: the keys that verify audit checkpoints. Public: they are public keys. */
export function auditPublicKeysRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get(
    '/v1/audit/public-keys',
    {
      config: { public: true },
      schema: {
        operationId: 'listAuditPublicKeys',
        tags: ['audit'],
        summary: 'The Ed25519 keys that verify audit checkpoints, newest (the signing key) first',
        security: [],
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                keys: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      key_id: { type: 'string' },
                      algorithm: { type: 'string', enum: ['Ed25519'] },
                      public_key: { type: 'string', description: 'SPKI, PEM' },
                    },
                    required: ['key_id', 'algorithm', 'public_key'],
                  },
                },
              },
              required: ['keys'],
            },
            'The verification keys',
          ),
          ...errorResponses,
        },
      },
    },
    async () => ({ keys: vault.auditPublicKeys() }),
  );
}
