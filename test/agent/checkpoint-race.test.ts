import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentState } from '../../src/agent/state.js';
import type { Vault } from '../../src/vault.js';
import { auditTrail } from '../support/audit-trail.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { pauseAfterFirstEmptyCheckpointRead } from '../support/checkpoint-hook.js';

const ECHO = 'demo/echo';

/**
 * The first invocations of a conversation race to create its checkpoint. PostgreSQL cannot lock a
 * row that does not exist yet, so two first invocations may both read "none"; the loser's upsert
 * then lands on the winner's row (version 2, not 1) and it must roll back and append to the
 * winner's state. This forces that interleaving on the real adapters: the first invocation is held
 * right after its empty read while a second one runs. SQLite serialises transactions, so there
 * the second waits for the first and simply appends after it.
 */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] first-invocation race on the checkpoint`, () => {
    let vault: Vault;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ vault, close } = await freshVault(backend));
      await vault.system.createOrg('acme');
      await vault
        .org('acme')
        .modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
    });
    afterEach(async () => close());

    const invoke = (who: string) =>
      vault.org('acme').conversations.invoke('c', { moduleId: ECHO, action: 'echo', input: { who } });
    const whoOf = (state: AgentState | null | undefined) =>
      state?.toolResults.map((t) => (t.output as { input: { who: string } }).input.who);

    it('both tool results survive, in commit order, with one audit event and one usage count each', async () => {
      let winner: ReturnType<typeof invoke> | undefined;
      const hold = pauseAfterFirstEmptyCheckpointRead(vault, async () => {
        winner = invoke('winner');
        // Where a second transaction can commit meanwhile, let it: the loser's save then lands on it.
        if (backend.concurrentTransactions) await winner;
      });
      const loser = await invoke('loser');
      expect(winner).toBeDefined();
      const won = await winner;

      const order = backend.concurrentTransactions ? ['winner', 'loser'] : ['loser', 'winner'];
      const state = await vault.org('acme').conversations.get('c');
      expect(whoOf(state)).toEqual(order);
      expect(state?.totalToolCalls).toBe(2);
      // Each caller gets the state its own commit left.
      const last = backend.concurrentTransactions ? loser : won;
      expect(whoOf(last?.state)).toEqual(order);
      // PostgreSQL: the loser rolled back once and tried again (3 transactions read a checkpoint).
      expect(hold.checkpointTransactions()).toBe(backend.concurrentTransactions ? 3 : 2);

      // The rolled-back attempt left nothing behind: no extra audit event, no extra usage count.
      const invocations = (await auditTrail(vault, 'acme')).filter((e) => e.action === 'module.invoke');
      expect(invocations).toHaveLength(2);
      expect((await vault.org('acme').modules.get(ECHO))?.successCount).toBe(2);
      expect((await vault.system.verifyAuditChain('acme')).ok).toBe(true);
    });
  });
}
