import type { Database } from 'better-sqlite3';
import type { CheckpointRow, CheckpointStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

interface CheckpointRecord {
  org_id: string;
  conversation_id: string;
  state: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Agent-state checkpoints on SQLite, one row per (org, conversation). */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly find: Stmt<CheckpointRecord>;
  private readonly save: Stmt<{ version: number }>;

  constructor(db: Database) {
    this.find = prepare(
      db,
      'SELECT org_id, conversation_id, state, version, created_at, updated_at FROM checkpoints WHERE org_id = ? AND conversation_id = ?',
    );
    this.save = prepare(
      db,
      `INSERT INTO checkpoints (org_id, conversation_id, state, version, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (org_id, conversation_id) DO UPDATE SET
         state = excluded.state, version = checkpoints.version + 1, updated_at = excluded.updated_at
       RETURNING version`,
    );
  }

  async findCheckpoint(orgId: string, conversationId: string): Promise<CheckpointRow | null> {
    const r = this.find.get(orgId, conversationId);
    if (!r) return null;
    return {
      orgId: r.org_id,
      conversationId: r.conversation_id,
      state: JSON.parse(r.state) as Record<string, unknown>,
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
    const r = this.save.get(orgId, conversationId, JSON.stringify(state), now, now);
    return r?.version ?? 0;
  }
}
