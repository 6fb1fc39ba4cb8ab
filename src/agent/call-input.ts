import { VaultError } from '../errors.js';
import { assertModuleId, assertOrgId } from '../ids.js';
import { assertConversationId } from './conversation-id.js';
import type { ModuleCall } from './module-runtime.js';
import { type AgentState, createInitialState } from './state.js';

const ACTION = /^[A-Za-z0-9_-]{1,64}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks a module call from a caller (library or HTTP): module id, action name, input object. */
export function parseCall(value: unknown): ModuleCall {
  if (!isObject(value)) {
    throw new VaultError('VALIDATION_FAILED', 'the call must be an object {moduleId, action, input}');
  }
  const moduleId = value.moduleId ?? value.module_id;
  assertModuleId(moduleId);
  const action = value.action;
  if (typeof action !== 'string' || !ACTION.test(action)) {
    throw new VaultError('VALIDATION_FAILED', 'action must match ^[A-Za-z0-9_-]{1,64}$', { field: 'action' });
  }
  const input = value.input ?? {};
  if (!isObject(input)) {
    throw new VaultError('VALIDATION_FAILED', 'input must be a JSON object', { field: 'input' });
  }
  return { moduleId, action, input };
}

/** Checks a caller's AgentState enough to append to it safely. */
export function parseState(value: unknown): AgentState {
  if (!isObject(value)) throw new VaultError('VALIDATION_FAILED', 'state must be an AgentState object');
  assertConversationId(value.conversationId);
  const orgId = value.orgId ?? null;
  if (orgId !== null) assertOrgId(orgId);
  const state = { ...createInitialState(value.conversationId), ...value, orgId } as AgentState;
  if (
    !Array.isArray(state.toolResults) ||
    !Array.isArray(state.messages) ||
    !Number.isInteger(state.totalToolCalls) ||
    !isObject(state.metadata)
  ) {
    throw new VaultError(
      'VALIDATION_FAILED',
      'state must carry toolResults and messages arrays, an integer totalToolCalls and a metadata object',
      { field: 'state' },
    );
  }
  return state;
}
