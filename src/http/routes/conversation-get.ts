import type { FastifyInstance } from 'fastify';
import { toStateJson } from '../../agent/state-json.js';
import { VaultError } from '../../errors.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { ref } from '../schemas.js';
import { conversationParams } from './conversation-invoke.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/conversations/:conversation_id -> {state}; another org's conversation is 404 like a missing one. */
export function conversationGetRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Params: { conversation_id: string } }>(
    '/v1/conversations/:conversation_id',
    {
      config: { permission: 'read_config' },
      schema: {
        operationId: 'getConversation',
        tags: ['conversations'],
        summary: "The checkpointed state of one of the caller's org's conversations",
        params: conversationParams,
        response: {
          200: json(
            { type: 'object', properties: { state: ref('AgentState') }, required: ['state'] },
            'The conversation state',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const id = request.params.conversation_id;
      const state = await orgOf(vault, request).conversations.get(id);
      if (state === null) throw new VaultError('NOT_FOUND', `conversation "${id}" not found`);
      return { state: toStateJson(state) };
    },
  );
}
