import type { FastifyInstance } from 'fastify';
import { CONVERSATION_ID_PATTERN } from '../../agent/conversation-id.js';
import { InvocationError } from '../../agent/invocation-error.js';
import { toStateJson } from '../../agent/state-json.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { ref } from '../schemas.js';
import type { RouteDeps } from './deps.js';

export const conversationParams = {
  type: 'object',
  properties: { conversation_id: { type: 'string', pattern: CONVERSATION_ID_PATTERN.source } },
  required: ['conversation_id'],
  additionalProperties: false,
} as const;

interface InvokeBody {
  module_id: string;
  action: string;
  input?: Record<string, unknown>;
}

/**
 * POST /v1/conversations/:conversation_id/invoke {module_id, action, input}: runs a module of the
 * caller's org in the caller's conversation of that id (created on first use; another org's
 * conversation of the same id is never touched) -> {result, state}. A failed or refused call is a
 * problem response, and is still recorded in the state as a failed tool result.
 */
export function conversationInvokeRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.post<{ Params: { conversation_id: string }; Body: InvokeBody }>(
    '/v1/conversations/:conversation_id/invoke',
    {
      config: { permission: 'invoke_modules' },
      schema: {
        operationId: 'invokeModule',
        tags: ['conversations'],
        summary: 'Invoke a module in a conversation; credentials are injected and never returned',
        params: conversationParams,
        body: {
          type: 'object',
          required: ['module_id', 'action'],
          properties: {
            module_id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}/[a-z0-9][a-z0-9_-]{0,63}$' },
            action: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
            input: { type: 'object', additionalProperties: true },
          },
          additionalProperties: false,
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                result: { description: "the module's result, as it gave it" },
                state: ref('AgentState'),
              },
              required: ['result', 'state'],
            },
            'The result and the conversation state after the call',
          ),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { module_id: moduleId, action, input } = request.body;
      try {
        const { result, state } = await orgOf(vault, request).conversations.invoke(
          request.params.conversation_id,
          { moduleId, action, input: input ?? {} },
        );
        return { result, state: toStateJson(state) };
      } catch (err) {
        const retryAfter = err instanceof InvocationError ? err.details?.retry_after_seconds : undefined;
        if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
        throw err;
      }
    },
  );
}
