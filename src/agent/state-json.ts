import type { AgentState, ToolResult } from './state.js';

/** A tool result as HTTP shows it: its own fields in snake_case, the output untouched. */
export function toToolResultJson(t: ToolResult) {
  return {
    module_id: t.moduleId,
    action: t.action,
    ok: t.ok,
    output: t.output,
    error: t.error,
    at: t.at,
    duration_ms: t.durationMs,
  };
}

/**
 * An AgentState as HTTP shows it: the state's own fields in snake_case (`org_id`, `tool_results`,
 * ...); what is inside messages, metadata and outputs is the caller's or the module's and passes
 * through as it is.
 */
export function toStateJson(s: AgentState) {
  return {
    conversation_id: s.conversationId,
    org_id: s.orgId,
    user_id: s.userId,
    messages: s.messages,
    tool_results: s.toolResults.map(toToolResultJson),
    router_recommendation: s.routerRecommendation,
    next_action: s.nextAction,
    error: s.error,
    retry_count: s.retryCount,
    metadata: s.metadata,
    total_tool_calls: s.totalToolCalls,
  };
}

/** The JSON schema of toToolResultJson's output. */
export const toolResultJsonSchema = {
  type: 'object',
  properties: {
    module_id: { type: 'string' },
    action: { type: 'string' },
    ok: { type: 'boolean' },
    output: {},
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    at: { type: 'string' },
    duration_ms: { type: 'integer' },
  },
} as const;

/** The JSON schema of toStateJson's output (for response serialization and /openapi.json). */
export const stateJsonSchema = {
  type: 'object',
  properties: {
    conversation_id: { type: 'string' },
    org_id: { type: ['string', 'null'] },
    user_id: { type: ['string', 'null'] },
    messages: { type: 'array', items: {} },
    tool_results: { type: 'array', items: toolResultJsonSchema },
    router_recommendation: {},
    next_action: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    retry_count: { type: 'integer' },
    metadata: { type: 'object', additionalProperties: true },
    total_tool_calls: { type: 'integer' },
  },
  required: ['conversation_id', 'org_id', 'tool_results', 'total_tool_calls'],
} as const;
