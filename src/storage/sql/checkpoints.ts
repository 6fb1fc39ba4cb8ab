import type { AgentState } from '../../agent/state.js';
import type { CheckpointRow } from '../rows.js';
import type { CheckpointStore } from '../stores.js';
import { type Executor, sql } from './executor.js';

interface CheckpointColumns {
  org_id: string;
  conversation_id: string;
  state: unknown;
  version: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'org_id, conversation_id, state, version, created_at, updated_at';
const FIND_TEXT = `SELECT ${COLUMNS} FROM checkpoints WHERE org_id = ? AND conversation_id = ?`;
const FIND = sql('ckpt_find', FIND_TEXT);
// Several nodes may run the same conversation: the row lock orders their read-modify-write.
const FIND_FOR_UPDATE = sql('ckpt_find_for_update', FIND_TEXT, { forUpdate: true });
const SAVE = sql(
  'ckpt_save',
  `INSERT INTO checkpoints (${COLUMNS}) VALUES (?, ?, ?, 1, ?, ?)
   ON CONFLICT (org_id, conversation_id) DO UPDATE SET
     state = excluded.state, version = checkpoints.version + 1, updated_at = excluded.updated_at
   RETURNING version`,
);

/** Agent-state checkpoints, one row per (org, conversation). */
export class SqlCheckpointStore implements CheckpointStore {
  constructor(private readonly x: Executor) {}

  async findCheckpoint(
    orgId: string,
    conversationId: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<CheckpointRow | null> {
    const r = await this.x.get<CheckpointColumns>(opts.forUpdate ? FIND_FOR_UPDATE : FIND, [
      orgId,
      conversationId,
    ]);
    if (!r) return null;
    return {
      orgId: r.org_id,
      conversationId: r.conversation_id,
      state: this.x.json<AgentState>(r.state),
      version: r.version,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  async saveCheckpoint(
    orgId: string,
    conversationId: string,
    state: AgentState,
    now: string,
  ): Promise<number> {
    const values = [orgId, conversationId, JSON.stringify(state), now, now];
    return (await this.x.get<{ version: number }>(SAVE, values))?.version ?? 0;
  }
}
