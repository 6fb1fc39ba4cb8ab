import type { FastifyInstance } from 'fastify';
import { MAX_TOOL_RESULT_SEQ, MAX_TOOL_RESULTS_PAGE } from '../../agent/conversation-service.js';
import { toolResultJsonSchema, toToolResultJson } from '../../agent/state-json.js';
import { VaultError } from '../../errors.js';
import { numericQuery } from '../numeric-query.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { conversationParams } from './conversation-invoke.js';
import type { RouteDeps } from './deps.js';

const DEFAULT_LIMIT = 100;

/**
 * GET /v1/conversations/:conversation_id/tool-results?after=&limit=: every tool result of one of the
 * caller's org's conversations, oldest first, by seq cursor (the state carries only the newest).
 * Another org's conversation is 404 like a missing one.
 */
export function conversationToolResultsRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Params: { conversation_id: string }; Querystring: { after?: number; limit?: number } }>(
    '/v1/conversations/:conversation_id/tool-results',
    {
      config: { permission: 'read_config' },
      preValidation: numericQuery(['after', 'limit']),
      schema: {
        operationId: 'listToolResults',
        tags: ['conversations'],
        summary:
          "A page of a conversation's tool results, oldest first; pass next_after as after for the next",
        params: conversationParams,
        querystring: {
          type: 'object',
          properties: {
            after: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_TOOL_RESULT_SEQ,
              description: 'only results with a larger seq (default 0: from the first)',
            },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_TOOL_RESULTS_PAGE,
              default: DEFAULT_LIMIT,
              description: `1 to ${MAX_TOOL_RESULTS_PAGE}, default ${DEFAULT_LIMIT}`,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                tool_results: {
                  type: 'array',
                  items: {
                    ...toolResultJsonSchema,
                    properties: { seq: { type: 'integer' }, ...toolResultJsonSchema.properties },
                  },
                },
                next_after: { type: ['integer', 'null'], description: 'pass as after for the next page' },
              },
              required: ['tool_results', 'next_after'],
            },
            'A page of tool results, oldest first',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const id = request.params.conversation_id;
      const { after, limit } = request.query;
      const page = await orgOf(vault, request).conversations.toolResults(id, {
        after: after ?? 0,
        limit: limit ?? DEFAULT_LIMIT,
      });
      if (page === null) throw new VaultError('NOT_FOUND', `conversation "${id}" not found`);
      return {
        tool_results: page.toolResults.map((r) => ({ seq: r.seq, ...toToolResultJson(r.toolResult) })),
        next_after: page.nextAfter,
      };
    },
  );
}
