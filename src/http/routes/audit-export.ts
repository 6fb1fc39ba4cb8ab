import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { auditExportLine } from '../../audit/audit-event-json.js';
import { MAX_SEQ } from '../../audit/audit-log.js';
import { numericQuery } from '../numeric-query.js';
import { errorResponses, media } from '../responses.js';
import { orgOf } from '../route-config.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/audit/export?after=: the caller's org's events above seq `after`, oldest first, one JSON
 * object a line. Streamed from storage in bounded batches, so a long chain is never in memory.
 */
export function auditExportRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Querystring: { after?: number } }>(
    '/v1/audit/export',
    {
      config: { permission: 'read_audit' },
      preValidation: numericQuery(['after']),
      schema: {
        operationId: 'exportAuditEvents',
        tags: ['audit'],
        summary: "The caller's org's audit trail as NDJSON (oldest first), for a SIEM",
        querystring: {
          type: 'object',
          properties: {
            after: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_SEQ,
              description: 'only events with a greater seq (default 0: the whole chain)',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: media(
            'application/x-ndjson',
            { type: 'string' },
            'One event a line: org_id, seq, at, actor_key_id, action, target_type, target_id, ' +
              'request_id, outcome, details, prev_hash, hash',
          ),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const after = Number(request.query.after ?? 0);
      const events = await orgOf(vault, request).audit.export(after);
      const lines = Readable.from(
        (async function* () {
          for await (const e of events) yield auditExportLine(e);
        })(),
      );
      return reply.type('application/x-ndjson').send(lines);
    },
  );
}
