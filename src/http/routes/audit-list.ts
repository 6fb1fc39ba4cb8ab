import type { FastifyInstance } from 'fastify';
import { auditEventJson } from '../../audit/audit-event-json.js';
import { MAX_SEQ } from '../../audit/audit-log.js';
import { numericQuery } from '../numeric-query.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { ref } from '../schemas.js';
import type { RouteDeps } from './deps.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** GET /v1/audit?limit=&before=: the caller's org's audit events, newest first, by seq cursor. */
export function auditListRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Querystring: { limit?: number; before?: number } }>(
    '/v1/audit',
    {
      config: { permission: 'read_audit' },
      preValidation: numericQuery(['limit', 'before']),
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: "The caller's org's audit trail, newest first; pass next_before as before for the next page",
        querystring: {
          type: 'object',
          properties: {
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_LIMIT,
              default: DEFAULT_LIMIT,
              description: `1 to ${MAX_LIMIT}, default ${DEFAULT_LIMIT}`,
            },
            before: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_SEQ,
              description: `only events with a smaller seq (at most ${MAX_SEQ})`,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                events: { type: 'array', items: ref('AuditEvent') },
                next_before: { type: ['integer', 'null'], description: 'pass as before for the next page' },
              },
              required: ['events', 'next_before'],
            },
            'Events, newest first',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const before = request.query.before;
      const rows = await orgOf(vault, request).audit.list({ limit, before });
      const last = rows.at(-1);
      return {
        events: rows.map(auditEventJson),
        next_before: rows.length === limit && last !== undefined && last.seq > 1 ? last.seq : null,
      };
    },
  );
}
