import { VaultError } from '../errors.js';
import type { AgentState, ToolResult } from './state.js';

/**
 * A module call that failed or was refused. It is still recorded: the conversation's state (with a
 * failed tool result appended) travels on the error for an agent loop that wants to go on, while
 * the HTTP layer renders only code, message and details, all of them scrubbed.
 */
export class InvocationError extends VaultError {
  readonly state: AgentState;
  readonly toolResult: ToolResult;

  constructor(error: VaultError, state: AgentState, toolResult: ToolResult) {
    super(error.code, error.message, error.details);
    this.state = state;
    this.toolResult = toolResult;
  }
}
