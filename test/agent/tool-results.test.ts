import { afterEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';

const ECHO = 'demo/echo';

/** Every tool result of a conversation, read page by page through the public API. */
async function allResults(vault: Vault, org: string, conversation: string, limit: number) {
  const out: { seq: number; n: unknown }[] = [];
  let after = 0;
  for (;;) {
    const page = await vault.org(org).conversations.toolResults(conversation, { after, limit });
    if (page === null) throw new Error('conversation missing');
    for (const r of page.toolResults) {
      out.push({ seq: r.seq, n: (r.toolResult.output as { input: { n?: unknown } }).input.n });
    }
    if (page.nextAfter === null) return out;
    expect(page.toolResults).toHaveLength(limit);
    after = page.nextAfter;
  }
}

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] tool results as rows, the state a bounded window`, () => {
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
      close = undefined;
    });

    it('5,000 invocations in one conversation: the state stays the same size, every result is paged back in order', async () => {
      const opened = await freshVault(backend, { stateToolResultsWindow: 20 });
      close = opened.close;
      const org = opened.vault.org();
      await org.modules.install(manifest(ECHO));
      const total = 5000;
      let sizeAt100 = 0;
      let largest = 0;
      for (let n = 1; n <= total; n++) {
        const { state } = await org.conversations.invoke('long', {
          moduleId: ECHO,
          action: 'echo',
          input: { n },
        });
        const size = JSON.stringify(state).length;
        if (n === 100) sizeAt100 = size;
        if (n >= 100) largest = Math.max(largest, size);
      }
      const state = await org.conversations.get('long');
      expect(state?.totalToolCalls).toBe(total);
      expect(state?.toolResults.map((t) => (t.output as { input: { n: number } }).input.n)).toEqual(
        Array.from({ length: 20 }, (_, i) => total - 19 + i),
      );
      // Only digits grow between call 100 and call 5,000 (n, the count, durations): no result piles up.
      expect(largest).toBeLessThan(sizeAt100 * 1.1);
      const all = await allResults(opened.vault, 'default', 'long', 500);
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(all.map((r) => r.n)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }, 600_000);

    it('the window is configurable, 0 included; failures are rows too', async () => {
      for (const window of [0, 3]) {
        const opened = await freshVault(backend, { stateToolResultsWindow: window });
        const org = opened.vault.org();
        await org.modules.install(manifest(ECHO));
        for (let n = 1; n <= 5; n++)
          await org.conversations.invoke('w', { moduleId: ECHO, action: 'echo', input: { n } });
        await expect(org.conversations.invoke('w', { moduleId: ECHO, action: 'nope' })).rejects.toThrow();
        const state = await org.conversations.get('w');
        expect(state?.toolResults).toHaveLength(window);
        expect(state?.totalToolCalls).toBe(6);
        const page = await org.conversations.toolResults('w');
        expect(page?.toolResults.map((r) => r.toolResult.ok)).toEqual([true, true, true, true, true, false]);
        expect(page?.nextAfter).toBeNull();
        await opened.close();
      }
    });

    it("a caller's own state seeds a new conversation: its results become the first rows", async () => {
      const opened = await freshVault(backend);
      close = opened.close;
      const org = opened.vault.org();
      await org.modules.install(manifest(ECHO));
      const first = await org.conversations.invoke('seeded', {
        moduleId: ECHO,
        action: 'echo',
        input: { n: 1 },
      });
      const seed = { ...first.state, conversationId: 'seeded-2' };
      await org.conversations.invoke(seed, { moduleId: ECHO, action: 'echo', input: { n: 2 } });
      expect(await allResults(opened.vault, 'default', 'seeded-2', 10)).toEqual([
        { seq: 1, n: 1 },
        { seq: 2, n: 2 },
      ]);
    });

    it('bad cursors and limits are refused; another org and a missing conversation answer null alike', async () => {
      const opened = await freshVault(backend);
      close = opened.close;
      const { vault } = opened;
      await vault.system.createOrg('acme');
      await vault.org().modules.install(manifest(ECHO));
      await vault.org().conversations.invoke('mine', { moduleId: ECHO, action: 'echo', input: { n: 1 } });
      for (const page of [{ after: -1 }, { after: 1.5 }, { after: 2 ** 31 }, { limit: 0 }, { limit: 501 }]) {
        await expect(vault.org().conversations.toolResults('mine', page)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
      }
      expect(await vault.org('acme').conversations.toolResults('mine')).toBeNull();
      expect(await vault.org().conversations.toolResults('never')).toBeNull();
      expect((await vault.org().conversations.toolResults('mine', { after: 1 }))?.toolResults).toEqual([]);
    });
  });
}

describe('[sqlite] a conversation stored before migration 5 keeps its history', () => {
  it('its tool results become rows 1..n, readable page by page; the next call trims the state', async () => {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const { applySqliteMigrations } = await import('../../src/storage/sqlite/migrate.js');
    const { SQLITE_MIGRATIONS } = await import('../../src/storage/sqlite/migrations.js');
    const { sqliteBackend } = await import('../support/backends.js');
    const { openVault } = await import('../../src/vault.js');
    const fresh = await sqliteBackend.fresh();
    try {
      const path = fresh.options.databaseUrl.slice('sqlite:'.length);
      const db = new BetterSqlite3(path);
      applySqliteMigrations(
        db,
        SQLITE_MIGRATIONS.filter((m) => m.version <= 4),
      );
      const now = '2026-06-01T00:00:00.000Z';
      db.prepare(
        "INSERT INTO organizations (org_id, name, plan, created_at) VALUES ('default', 'Default', NULL, ?)",
      ).run(now);
      const old = Array.from({ length: 30 }, (_, i) => ({
        moduleId: 'demo/echo',
        action: 'echo',
        ok: true,
        output: { input: { n: i + 1 } },
        error: null,
        at: now,
        durationMs: 1,
      }));
      const state = {
        messages: [],
        toolResults: old,
        routerRecommendation: null,
        nextAction: null,
        error: null,
        retryCount: 0,
        conversationId: 'legacy',
        userId: null,
        orgId: 'default',
        metadata: {},
        totalToolCalls: 30,
      };
      db.prepare(
        "INSERT INTO checkpoints (org_id, conversation_id, state, version, created_at, updated_at) VALUES ('default', 'legacy', ?, 30, ?, ?)",
      ).run(JSON.stringify(state), now, now);
      db.close();

      const vault = await openVault({ ...fresh.options, warn: () => {}, stateToolResultsWindow: 5 });
      try {
        const org = vault.org();
        const first = await org.conversations.toolResults('legacy', { limit: 500 });
        expect(first?.toolResults.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(
          first?.toolResults.map((r) => (r.toolResult.output as { input: { n: number } }).input.n),
        ).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        await org.modules.install(manifest(ECHO));
        const { state: next } = await org.conversations.invoke('legacy', {
          moduleId: ECHO,
          action: 'echo',
          input: { n: 31 },
        });
        expect(next.totalToolCalls).toBe(31);
        expect(next.toolResults.map((t) => (t.output as { input: { n: number } }).input.n)).toEqual([
          27, 28, 29, 30, 31,
        ]);
        const all = await org.conversations.toolResults('legacy', { limit: 500 });
        expect(all?.toolResults.map((r) => r.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
      } finally {
        await vault.close();
      }
    } finally {
      await fresh.dispose();
    }
  });
});
