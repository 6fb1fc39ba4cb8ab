import { VaultError } from '../errors.js';

/** Conversation ids are chosen by callers (a UUID, a chat thread id); they travel in URLs, so kept plain. */
export const CONVERSATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function assertConversationId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !CONVERSATION_ID_PATTERN.test(id)) {
    throw new VaultError(
      'VALIDATION_FAILED',
      'invalid conversation id: expected ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
      { field: 'conversation_id' },
    );
  }
}
