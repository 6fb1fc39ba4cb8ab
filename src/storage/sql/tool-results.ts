import type { ToolResult } from '../../agent/state.js';
import type { ToolResultRow } from '../rows.js';
import type { ToolResultStore } from '../stores.js';
import { type Executor, sql } from './executor.js';

interface ToolResultColumns {
  seq: number;
  tool_result: unknown;
}

// Both read the primary key (org, conversation, seq) in order: an index range, never a scan.
const LAST_SEQ = sql(
  'tr_last_seq',
  'SELECT seq FROM tool_results WHERE org_id = ? AND conversation_id = ? ORDER BY seq DESC LIMIT 1',
);
const PAGE = sql(
  'tr_page',
  `SELECT seq, tool_result FROM tool_results WHERE org_id = ? AND conversation_id = ? AND seq > ?
   ORDER BY seq LIMIT ?`,
);
const APPEND = sql(
  'tr_append',
  `INSERT INTO tool_results (org_id, conversation_id, seq, tool_result, created_at) VALUES (?, ?, ?, ?, ?)`,
);

/**
 * Every tool result of a conversation, one row each in call order: appending one costs the same
 * however long the conversation is (the checkpoint keeps only a window of the newest).
 */
export class SqlToolResultStore implements ToolResultStore {
  constructor(private readonly x: Executor) {}

  async lastSeq(orgId: string, conversationId: string): Promise<number> {
    return (await this.x.get<{ seq: number }>(LAST_SEQ, [orgId, conversationId]))?.seq ?? 0;
  }

  async append(
    orgId: string,
    conversationId: string,
    seq: number,
    result: ToolResult,
    now: string,
  ): Promise<void> {
    await this.x.run(APPEND, [orgId, conversationId, seq, JSON.stringify(result), now]);
  }

  async page(orgId: string, conversationId: string, after: number, limit: number): Promise<ToolResultRow[]> {
    const rows = await this.x.all<ToolResultColumns>(PAGE, [orgId, conversationId, after, limit]);
    return rows.map((r) => ({ seq: Number(r.seq), toolResult: this.x.json<ToolResult>(r.tool_result) }));
  }
}
