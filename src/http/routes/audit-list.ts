import type { FastifyInstance } from 'fastify';
import { auditEventJson } from '../../audit/audit-event-json.js';
import { MAX_SEQ } from '../../audit/audit-log.js';
import { orgOf } from '../route-config.js';
import { auditEventSchema, errorResponses } from '../schemas.js';
import type { RouteDeps } from './deps.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** GET /v1/audit?limit=&before=: the caller's org's audit events, newest first, by seq cursor. */
export function auditListRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Querystring: { limit?: string; before?: string } }>(
    '/v1/audit',
    {
      config: { permission: 'read_audit' },
      schema: {
        summary: "The caller's org's audit trail, newest first; pass next_before as before for the next page",
        querystring: {
          type: 'object',
          properties: {
            limit: {
              type: 'string',
              pattern: '^[0-9]{1,4}$',
              description: `1 to ${MAX_LIMIT}, default ${DEFAULT_LIMIT}`,
            },
            before: {
              type: 'string',
              pattern: '^[0-9]{1,10}$',
              description: `only events with a smaller seq (at most ${MAX_SEQ})`,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              events: { type: 'array', items: auditEventSchema },
              next_before: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = Math.min(MAX_LIMIT, Math.max(1, Number(request.query.limit ?? DEFAULT_LIMIT)));
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      const rows = await orgOf(vault, request).audit.list({ limit, before });
      const last = rows.at(-1);
      return {
        events: rows.map(auditEventJson),
        next_before: rows.length === limit && last !== undefined && last.seq > 1 ? last.seq : null,
      };
    },
  );
}
