import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { VaultError } from '../errors.js';
import { DEFAULT_ORG, type OrgId } from '../ids.js';
import { recordCallOutcome } from '../modules/module-health.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { ToolResultRow } from '../storage/rows.js';
import { orgScope, type Storage } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
import type { AgentLogger } from './agent-logger.js';
import { parseCall, parseState } from './call-input.js';
import { assertConversationId } from './conversation-id.js';
import { InvocationError } from './invocation-error.js';
import type { CallOutcome, Executable, ModuleCall, ModuleRuntime } from './module-runtime.js';
import { type AgentState, createInitialState, type ToolResult } from './state.js';

export interface InvokeResult {
  /** The module's output, scrubbed of credential values (for an HTTP module: `{status, body}`). */
  result: unknown;
  /** The conversation's state after this call, as checkpointed. */
  state: AgentState;
}

/** An enabled module of an org that can run, with its manifest and what it runs. */
export interface ExecutableModule {
  moduleId: string;
  manifest: Record<string, unknown>;
  executable: Executable;
}

export interface ConversationServiceDeps {
  storage: Storage;
  orgs: OrgDirectory;
  audit: AuditLog;
  runtime: ModuleRuntime;
  clock: Clock;
  logger: AgentLogger;
  /** Consecutive failures after which a module is marked unhealthy (the breaker's threshold). */
  failureThreshold: number;
  /** Newest tool results the state carries; every one is also a row, paged by toolResults(). */
  toolResultsWindow: number;
}

/** A page of a conversation's tool results, oldest first. */
export interface ToolResultPage {
  toolResults: ToolResultRow[];
  /** The seq to pass as `after` for the next page; null when this page reached the end. */
  nextAfter: number | null;
}

/** The largest seq a tool result can have (a PostgreSQL integer). */
export const MAX_TOOL_RESULT_SEQ = 2_147_483_647;

/** Largest page of tool results one call returns. */
export const MAX_TOOL_RESULTS_PAGE = 500;

/** Fields an agent loop owns; on the lower-level invoke they come from the caller's state. */
const CALLER_FIELDS = [
  'messages',
  'routerRecommendation',
  'nextAction',
  'error',
  'retryCount',
  'userId',
  'metadata',
] as const;
/** Tries of one checkpoint append when a first save raced another one (PostgreSQL only). */
const APPEND_TRIES = 5;

class CheckpointRace extends Error {}

/**
 * Conversations of one org: their AgentState is checkpointed per (org, conversation id), so the same
 * id in two orgs is two conversations that never meet. Each invocation runs the module outside any
 * transaction (an outbound call must not hold locks), then in one transaction appends its tool result
 * as a row (the next seq) and to the latest checkpoint's window of recent results (read for update),
 * moves the module's counters and writes the audit event. Concurrent invocations on one conversation
 * therefore each leave their tool result, and a call costs the same however long the conversation is.
 */
export class ConversationService {
  private readonly d: ConversationServiceDeps;

  constructor(deps: ConversationServiceDeps) {
    this.d = deps;
  }

  async get(orgId: OrgId, conversationId: string): Promise<AgentState | null> {
    assertConversationId(conversationId);
    await this.d.orgs.require(orgId);
    const row = await this.d.storage.read(orgScope(orgId), (r) =>
      r.checkpoints.findCheckpoint(orgId, conversationId),
    );
    return row === null ? null : row.state;
  }

  /**
   * The conversation's tool results with seq > after, oldest first, up to `limit` (1-500): the whole
   * history, of which the state carries only the newest. Null when the conversation has no
   * checkpoint in this org (another org's conversation of the same id included).
   */
  async toolResults(
    orgId: OrgId,
    conversationId: string,
    page: { after?: number; limit?: number } = {},
  ): Promise<ToolResultPage | null> {
    assertConversationId(conversationId);
    const after = page.after ?? 0;
    const limit = page.limit ?? 100;
    // seq is a 32-bit integer column on PostgreSQL: a larger cursor is a client mistake, not a 500.
    if (!Number.isInteger(after) || after < 0 || after > MAX_TOOL_RESULT_SEQ) {
      throw new VaultError(
        'VALIDATION_FAILED',
        `after must be an integer between 0 and ${MAX_TOOL_RESULT_SEQ}`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TOOL_RESULTS_PAGE) {
      throw new VaultError(
        'VALIDATION_FAILED',
        `limit must be an integer between 1 and ${MAX_TOOL_RESULTS_PAGE}`,
      );
    }
    await this.d.orgs.require(orgId);
    return this.d.storage.read(orgScope(orgId), async (r) => {
      if ((await r.checkpoints.findCheckpoint(orgId, conversationId)) === null) return null;
      // One more than asked tells whether a next page exists without a count.
      const rows = await r.toolResults.page(orgId, conversationId, after, limit + 1);
      const more = rows.length > limit;
      const toolResults = more ? rows.slice(0, limit) : rows;
      return { toolResults, nextAfter: more ? (toolResults.at(-1)?.seq ?? null) : null };
    });
  }

  /** Invokes a module in a conversation of this org, creating the conversation on first use. */
  async invoke(
    orgId: OrgId,
    conversationId: string,
    call: unknown,
    actor: ActorContext,
  ): Promise<InvokeResult> {
    assertConversationId(conversationId);
    return this.run(orgId, conversationId, parseCall(call), actor, null);
  }

  /**
   * For an existing agent loop that carries its own AgentState: the call resolves in the state's org
   * (null: default), which must be this org; another org's state is answered as not found. The
   * conversation keeps every tool result (rows, never replaced; the state a window of the newest), and
   * takes the caller's own fields (messages, metadata, ...) from the state given.
   */
  async invokeWithState(
    orgId: OrgId,
    state: unknown,
    call: unknown,
    actor: ActorContext,
  ): Promise<InvokeResult> {
    const seed = parseState(state);
    const parsed = parseCall(call);
    if ((seed.orgId ?? DEFAULT_ORG) !== orgId) {
      await this.d.orgs.require(orgId);
      await this.d.storage.transaction(orgScope(orgId), (tx) =>
        this.d.audit.append(
          tx,
          orgId,
          actor,
          {
            action: 'module.invoke',
            targetType: 'module',
            targetId: parsed.moduleId,
            outcome: 'denied',
            details: { action: parsed.action, conversation_id: seed.conversationId, code: 'NOT_FOUND' },
          },
          this.d.clock().toISOString(),
        ),
      );
      throw new VaultError('NOT_FOUND', `conversation "${seed.conversationId}" not found`);
    }
    return this.run(orgId, seed.conversationId, parsed, actor, seed);
  }

  /**
   * The org's enabled modules that can run (built-in or declarative HTTP), each with what it runs:
   * the tool catalogue of the MCP server. Disabled, uninstalled and non-executable modules are
   * left out, so they cannot be told apart from modules that do not exist.
   */
  async executables(orgId: OrgId): Promise<ExecutableModule[]> {
    await this.d.orgs.require(orgId);
    const rows = await this.d.storage.read(orgScope(orgId), (r) =>
      r.modules.listModules(orgId, { status: 'installed' }),
    );
    const out: ExecutableModule[] = [];
    for (const row of rows) {
      const executable = this.d.runtime.executableOf(row);
      if (executable !== null) out.push({ moduleId: row.moduleId, manifest: row.manifest, executable });
    }
    return out;
  }

  /**
   * One module of the org as executables() would list it (installed, executable), else null: the
   * MCP tool lookup, one row instead of the org's whole list.
   */
  async executable(orgId: OrgId, moduleId: string): Promise<ExecutableModule | null> {
    await this.d.orgs.require(orgId);
    const row = await this.d.storage.read(orgScope(orgId), (r) => r.modules.findModule(orgId, moduleId));
    if (row === null || row.status !== 'installed') return null;
    const executable = this.d.runtime.executableOf(row);
    return executable === null ? null : { moduleId: row.moduleId, manifest: row.manifest, executable };
  }

  /**
   * A module call outside any conversation (an MCP tool call without a conversation id): the same
   * runtime, counters and one audit event as invoke, no checkpoint. A failure throws a VaultError
   * whose message and details are scrubbed.
   */
  async call(orgId: OrgId, call: unknown, actor: ActorContext): Promise<unknown> {
    const parsed = parseCall(call);
    await this.d.orgs.require(orgId);
    const outcome = await this.d.runtime.call(orgId, parsed);
    try {
      await this.d.storage.transaction(orgScope(orgId), (tx) =>
        this.recordIn(tx, orgId, null, parsed, outcome, actor, this.d.clock().toISOString()),
      );
    } finally {
      outcome.release();
    }
    const fields = {
      ...requestIdField(actor),
      org_id: orgId,
      module_id: parsed.moduleId,
      action: parsed.action,
      ok: outcome.ok,
      code: outcome.error?.code ?? null,
      duration_ms: outcome.durationMs,
    };
    if (outcome.error) {
      this.d.logger.warn(fields, 'module invocation failed');
      throw outcome.error;
    }
    this.d.logger.info(fields, 'module invoked');
    return outcome.output;
  }

  private async run(
    orgId: OrgId,
    conversationId: string,
    call: ModuleCall,
    actor: ActorContext,
    seed: AgentState | null,
  ): Promise<InvokeResult> {
    await this.d.orgs.require(orgId);
    const outcome = await this.d.runtime.call(orgId, call);
    const toolResult: ToolResult = {
      moduleId: call.moduleId,
      action: call.action,
      ok: outcome.ok,
      output: outcome.output,
      error: outcome.error && { code: outcome.error.code, message: outcome.error.message },
      at: outcome.startedAt.toISOString(),
      durationMs: outcome.durationMs,
    };
    let state: AgentState;
    try {
      state = await this.append(orgId, conversationId, call, outcome, toolResult, actor, seed);
    } finally {
      outcome.release();
    }
    const fields = {
      ...requestIdField(actor),
      org_id: orgId,
      conversation_id: conversationId,
      module_id: call.moduleId,
      action: call.action,
      ok: outcome.ok,
      code: outcome.error?.code ?? null,
      duration_ms: outcome.durationMs,
    };
    if (outcome.error) {
      this.d.logger.warn(fields, 'module invocation failed');
      throw new InvocationError(outcome.error, state, toolResult);
    }
    this.d.logger.info(fields, 'module invoked');
    return { result: outcome.output, state };
  }

  private async append(
    orgId: string,
    conversationId: string,
    call: ModuleCall,
    outcome: CallOutcome,
    toolResult: ToolResult,
    actor: ActorContext,
    seed: AgentState | null,
  ): Promise<AgentState> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.d.storage.transaction(orgScope(orgId), (tx) =>
          this.appendIn(tx, orgId, conversationId, call, outcome, toolResult, actor, seed),
        );
      } catch (err) {
        if (!(err instanceof CheckpointRace) || attempt >= APPEND_TRIES) throw err;
      }
    }
  }

  private async appendIn(
    tx: Repositories,
    orgId: string,
    conversationId: string,
    call: ModuleCall,
    outcome: CallOutcome,
    toolResult: ToolResult,
    actor: ActorContext,
    seed: AgentState | null,
  ): Promise<AgentState> {
    const now = this.d.clock().toISOString();
    const row = await tx.checkpoints.findCheckpoint(orgId, conversationId, { forUpdate: true });
    let base: AgentState = row ? row.state : (seed ?? createInitialState(conversationId, { orgId }));
    if (row && seed) base = overlay(base, seed);
    // The state keeps a window of the newest results, so this call reads and writes a bounded
    // state however long the conversation is; the full history is the tool_results rows.
    const window = this.d.toolResultsWindow;
    const recent = [...base.toolResults, toolResult];
    const next: AgentState = {
      ...base,
      toolResults: window === 0 ? [] : recent.slice(-window),
      totalToolCalls: base.totalToolCalls + 1,
    };
    const version = await tx.checkpoints.saveCheckpoint(orgId, conversationId, next, now);
    // No row was there when read, yet the save updated one: another first invocation committed in
    // between (PostgreSQL, where a missing row cannot be locked). Roll back and append to theirs.
    if (row === null && version !== 1) throw new CheckpointRace();
    // The checkpoint row is now locked by this transaction, so the seq read here is this call's own.
    // A new conversation seeded by a caller's state keeps the seed's results as its first rows.
    const toStore = row === null ? recent : [toolResult];
    let seq = await tx.toolResults.lastSeq(orgId, conversationId);
    for (const t of toStore) await tx.toolResults.append(orgId, conversationId, ++seq, t, now);
    await this.recordIn(tx, orgId, conversationId, call, outcome, actor, now);
    return next;
  }

  /** The module's counters and the call's one audit event, in the caller's transaction. */
  private async recordIn(
    tx: Repositories,
    orgId: string,
    conversationId: string | null,
    call: ModuleCall,
    outcome: CallOutcome,
    actor: ActorContext,
    now: string,
  ): Promise<void> {
    if (outcome.health !== 'none') {
      await recordCallOutcome(tx, orgId, call.moduleId, outcome.health, {
        now,
        failureThreshold: this.d.failureThreshold,
      });
    }
    await this.d.audit.append(
      tx,
      orgId,
      actor,
      {
        action: 'module.invoke',
        targetType: 'module',
        targetId: call.moduleId,
        outcome: outcome.ok ? 'success' : 'failure',
        details: {
          action: call.action,
          conversation_id: conversationId,
          duration_ms: outcome.durationMs,
          ...(outcome.error ? { code: outcome.error.code } : {}),
        },
      },
      now,
    );
  }
}

/** The request's id under the key Fastify's request lines use, so one grep finds every line of it. */
function requestIdField(actor: ActorContext): { reqId?: string } {
  return actor.requestId === null ? {} : { reqId: actor.requestId };
}

function overlay(stored: AgentState, seed: AgentState): AgentState {
  const out: AgentState = { ...stored };
  for (const key of CALLER_FIELDS) (out as unknown as Record<string, unknown>)[key] = seed[key];
  return out;
}
