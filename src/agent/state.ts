/**
 * The state of one agent conversation, as the orchestrator passes it between steps. `orgId`
 * travels with it so that every module call in the run resolves that org's modules and
 * credentials (null means the default org).
 */
export interface ToolResult {
  moduleId: string;
  action: string;
  ok: boolean;
  /** The module's result, scrubbed of credential values. */
  output: unknown;
  error: { code: string; message: string } | null;
  at: string;
  durationMs: number;
}

export interface AgentState {
  messages: unknown[];
  toolResults: ToolResult[];
  routerRecommendation: unknown | null;
  nextAction: string | null;
  error: string | null;
  retryCount: number;
  conversationId: string;
  userId: string | null;
  orgId: string | null;
  metadata: Record<string, unknown>;
  totalToolCalls: number;
}

export interface InitialStateOptions {
  orgId?: string | null;
  userId?: string | null;
  metadata?: Record<string, unknown>;
}

export function createInitialState(conversationId: string, options: InitialStateOptions = {}): AgentState {
  return {
    messages: [],
    toolResults: [],
    routerRecommendation: null,
    nextAction: null,
    error: null,
    retryCount: 0,
    conversationId,
    userId: options.userId ?? null,
    orgId: options.orgId ?? null,
    metadata: { ...(options.metadata ?? {}) },
    totalToolCalls: 0,
  };
}
