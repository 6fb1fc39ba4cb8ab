import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure } from './support/fixtures.js';

const ECHO = 'demo/echo';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] concurrent invocations on one conversation`, () => {
    let vault: Vault;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ vault, close } = await freshVault(backend));
      await vault
        .org()
        .modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
    });
    afterEach(async () => close());

    it('N concurrent invocations, the first ones racing to create the conversation, leave N tool results', async () => {
      const n = 25;
      const calls = Array.from({ length: n }, (_, i) =>
        vault.org().conversations.invoke('busy', { moduleId: ECHO, action: 'echo', input: { i } }),
      );
      await Promise.all(calls);
      const state = await vault.org().conversations.get('busy');
      // The state carries the window (20 by default); the rows carry all n, numbered 1..n.
      expect(state?.toolResults).toHaveLength(20);
      expect(state?.totalToolCalls).toBe(n);
      const page = await vault.org().conversations.toolResults('busy', { limit: 500 });
      expect(page?.toolResults.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const seen = page?.toolResults
        .map((r) => (r.toolResult.output as { input: { i: number } }).input.i)
        .sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
      expect((await vault.org().modules.get(ECHO))?.successCount).toBe(n);
    });

    it('failures interleaved with successes are all kept', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          vault
            .org()
            .conversations.invoke('mixed', { moduleId: ECHO, action: i % 2 ? 'echo' : 'nope', input: {} }),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(5);
      const state = await vault.org().conversations.get('mixed');
      expect(state?.toolResults.filter((t) => t.ok)).toHaveLength(5);
      expect(state?.totalToolCalls).toBe(10);
      expect(
        await failure(vault.org().conversations.invoke('mixed', { moduleId: ECHO, action: 'nope' })),
      ).toMatchObject({
        state: { totalToolCalls: 11 },
      });
    });
  });
}
