import { describe, expect, it } from 'vitest';
import { ConversationService } from '../../src/agent/conversation-service.js';
import type { CallOutcome, ModuleRuntime } from '../../src/agent/module-runtime.js';
import { type AgentState, createInitialState } from '../../src/agent/state.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { orgIdOf } from '../../src/ids.js';
import type { OrgDirectory } from '../../src/orgs/org-directory.js';
import type { CheckpointRow } from '../../src/storage/rows.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Repositories } from '../../src/storage/stores.js';

/**
 * The first invocations of a conversation race to create its checkpoint. PostgreSQL cannot lock a
 * row that does not exist yet, so two first invocations may both read "none"; the loser's upsert
 * then lands on the winner's row (version 2, not 1). This replays that interleaving on an in-memory
 * store, deterministically: the loser must roll back and append to the winner's state.
 */
describe('first-invocation race on the checkpoint', () => {
  it('the loser rolls back and appends to the winner, so both tool results survive', async () => {
    const committed = new Map<string, CheckpointRow>();
    let transactions = 0;
    let raced = false;

    const winner: AgentState = {
      ...createInitialState('c', { orgId: 'acme' }),
      toolResults: [
        {
          moduleId: 'demo/echo',
          action: 'echo',
          ok: true,
          output: 'winner',
          error: null,
          at: 'x',
          durationMs: 1,
        },
      ],
      totalToolCalls: 1,
    };

    const storage = {
      async transaction<T>(_scope: unknown, fn: (tx: Repositories) => Promise<T>): Promise<T> {
        transactions++;
        const pending = new Map<string, CheckpointRow>();
        const tx = {
          checkpoints: {
            findCheckpoint: async (_o: string, id: string) => pending.get(id) ?? committed.get(id) ?? null,
            saveCheckpoint: async (orgId: string, id: string, state: AgentState, now: string) => {
              if (!raced) {
                // The winner commits between our read and our write.
                raced = true;
                committed.set(id, row(orgId, id, winner, 1, now));
              }
              const version = (committed.get(id)?.version ?? 0) + 1;
              pending.set(id, row(orgId, id, state, version, now));
              return version;
            },
          },
          modules: {
            recordUsage: async () => true,
            updateHealth: async () => true,
            findModule: async () => null,
          },
          audit: { lockChain: () => {}, lastAuditLink: async () => null, insertAuditEvent: () => {} },
        } as unknown as Repositories;
        const result = await fn(tx); // a throw discards `pending`: the rollback
        for (const [k, v] of pending) committed.set(k, v);
        return result;
      },
    } as unknown as Storage;

    const outcome: CallOutcome = {
      ok: true,
      output: 'loser',
      error: null,
      health: 'success',
      startedAt: new Date(0),
      durationMs: 1,
      release: () => {},
    };
    const service = new ConversationService({
      storage,
      orgs: { require: async () => {} } as unknown as OrgDirectory,
      audit: new AuditLog(storage),
      runtime: { call: async () => outcome } as unknown as ModuleRuntime,
      clock: () => new Date(0),
      logger: { info() {}, warn() {} },
      failureThreshold: 5,
    });

    const { state } = await service.invoke(
      orgIdOf('acme'),
      'c',
      { moduleId: 'demo/echo', action: 'echo' },
      {
        actorKeyId: null,
        requestId: null,
      },
    );
    expect(transactions).toBe(2);
    expect(state.toolResults.map((t) => t.output)).toEqual(['winner', 'loser']);
    expect(state.totalToolCalls).toBe(2);
    expect((committed.get('c')?.state as unknown as AgentState | undefined)?.toolResults).toHaveLength(2);
  });
});

function row(orgId: string, conversationId: string, state: AgentState, version: number, now: string) {
  return { orgId, conversationId, state, version, createdAt: now, updatedAt: now };
}
