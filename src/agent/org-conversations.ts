import type { ActorContext } from '../audit/audit-log.js';
import type { OrgId } from '../ids.js';
import type {
  ConversationService,
  ExecutableModule,
  InvokeResult,
  ToolResultPage,
} from './conversation-service.js';
import type { AgentState } from './state.js';

/** A module call as the library takes it. */
export interface InvokeRequest {
  moduleId: string;
  action: string;
  input?: Record<string, unknown>;
}

/** One org's conversations, as the library API exposes them (`vault.org(id).conversations`). */
export class OrgConversations {
  constructor(
    private readonly service: ConversationService,
    private readonly orgId: OrgId,
    private readonly actor: ActorContext,
  ) {}

  /** The conversation's checkpointed state, or null when it has no checkpoint in this org. */
  get(conversationId: string): Promise<AgentState | null> {
    return this.service.get(this.orgId, conversationId);
  }

  /**
   * The conversation's tool results after seq `after` (default 0), oldest first, `limit` (1-500,
   * default 100) at most: the whole history, of which the state carries only a window of the newest.
   * Null when this org has no such conversation.
   */
  toolResults(
    conversationId: string,
    page: { after?: number; limit?: number } = {},
  ): Promise<ToolResultPage | null> {
    return this.service.toolResults(this.orgId, conversationId, page);
  }

  /** The org's enabled modules that can run, with what they run (the MCP tool catalogue). */
  executables(): Promise<ExecutableModule[]> {
    return this.service.executables(this.orgId);
  }

  /** One of executables(), by module id; null when it is not among them. */
  executable(moduleId: string): Promise<ExecutableModule | null> {
    return this.service.executable(this.orgId, moduleId);
  }

  /**
   * Runs a module outside any conversation (counters, breaker and one audit event, no checkpoint);
   * the scrubbed result. Throws a VaultError, scrubbed too, when the module fails or is refused.
   */
  call(request: InvokeRequest): Promise<unknown> {
    return this.service.call(this.orgId, request, this.actor);
  }

  /**
   * Runs a module in a conversation and checkpoints the result. Given a conversation id, the state
   * is the stored one (created on first use); given an AgentState (an external agent loop's own),
   * the call resolves in that state's org, which must be this one. Throws an InvocationError (with
   * the updated state) when the module fails or is refused.
   */
  invoke(conversation: string | AgentState, request: InvokeRequest): Promise<InvokeResult> {
    return typeof conversation === 'string'
      ? this.service.invoke(this.orgId, conversation, request, this.actor)
      : this.service.invokeWithState(this.orgId, conversation, request, this.actor);
  }
}
