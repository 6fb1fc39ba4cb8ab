import type { CheckpointRow, CheckpointStore } from '../types.js';
import { one, type Queryable, statement } from './queryable.js';

interface CheckpointRecord {
  org_id: string;
  conversation_id: string;
  state: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'org_id, conversation_id, state, version, created_at, updated_at';
const FIND = statement(
  'ckpt_find',
  `SELECT ${COLUMNS} FROM checkpoints WHERE org_id = $1 AND conversation_id = $2`,
);
// Several nodes may run the same conversation: the row lock orders their read-modify-write.
const FIND_FOR_UPDATE = statement(
  'ckpt_find_for_update',
  `SELECT ${COLUMNS} FROM checkpoints WHERE org_id = $1 AND conversation_id = $2 FOR UPDATE`,
);
const SAVE = statement(
  'ckpt_save',
  `INSERT INTO checkpoints (org_id, conversation_id, state, version, created_at, updated_at)
   VALUES ($1, $2, $3, 1, $4, $4)
   ON CONFLICT (org_id, conversation_id) DO UPDATE SET
     state = excluded.state, version = checkpoints.version + 1, updated_at = excluded.updated_at
   RETURNING version`,
);

/** Agent-state checkpoints on PostgreSQL, one row per (org, conversation). */
export class PgCheckpointStore implements CheckpointStore {
  constructor(private readonly db: Queryable) {}

  async findCheckpoint(
    orgId: string,
    conversationId: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<CheckpointRow | null> {
    const r = await one<CheckpointRecord>(this.db, opts.forUpdate ? FIND_FOR_UPDATE : FIND, [
      orgId,
      conversationId,
    ]);
    if (!r) return null;
    return {
      orgId: r.org_id,
      conversationId: r.conversation_id,
      state: r.state,
      version: r.version,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  async saveCheckpoint(
    orgId: string,
    conversationId: string,
    state: Record<string, unknown>,
    now: string,
  ): Promise<number> {
    const r = await one<{ version: number }>(this.db, SAVE, [
      orgId,
      conversationId,
      JSON.stringify(state),
      now,
    ]);
    return r?.version ?? 0;
  }
}
