import type { FastifyInstance } from 'fastify';
import { checkpointToJson } from '../../audit/audit-checkpoint.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/audit/checkpoint: a signed statement of the caller's org's chain head, for the tenant to keep. */
export function auditCheckpointRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get(
    '/v1/audit/checkpoint',
    {
      config: { permission: 'read_audit' },
      schema: {
        operationId: 'getAuditCheckpoint',
        tags: ['audit'],
        summary:
          "A signed checkpoint of the caller's org's audit chain. Keep the latest one: `orgvault audit verify " +
          '--checkpoint FILE` then detects events deleted or rewritten up to its seq.',
        response: {
          200: json(
            {
              type: 'object',
              description:
                'Ed25519 signature (base64) over "orgvault-audit-checkpoint\\n<org_id>\\n<seq>\\n<head>\\n<at>\\n"',
              properties: {
                org_id: { type: 'string' },
                seq: { type: 'integer', description: 'number of events in the chain (0 when empty)' },
                head: { type: 'string', description: 'hash of event seq (64 zeros when empty)' },
                at: { type: 'string', format: 'date-time' },
                key_id: { type: 'string', description: 'which key of GET /v1/audit/public-keys signed' },
                signature: { type: 'string' },
              },
              required: ['org_id', 'seq', 'head', 'at', 'key_id', 'signature'],
            },
            'A signed checkpoint (see its description)',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => checkpointToJson(await orgOf(vault, request).audit.checkpoint()),
  );
}
