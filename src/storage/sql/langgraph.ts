import type {
  LangGraphChannelValueRow,
  LangGraphCheckpointQuery,
  LangGraphCheckpointRow,
  LangGraphWriteRow,
} from '../rows.js';
import type { LangGraphStore } from '../stores.js';
import { type Executor, sql } from './executor.js';

interface CheckpointColumns {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  key_version: number;
  nonce: Buffer;
  sealed: Buffer;
  created_at: string;
}

interface ChannelValueColumns {
  channel: string;
  version: string;
  checkpoint_id: string;
  key_version: number;
  nonce: Buffer;
  sealed: Buffer;
}

interface WriteColumns {
  task_id: string;
  idx: number;
  task_path: string;
  key_version: number;
  nonce: Buffer;
  sealed: Buffer;
}

const COLUMNS =
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, key_version, nonce, sealed, created_at';
// A checkpoint put again under the same id replaces the stored one (as LangGraph's own savers do).
const PUT_CHECKPOINT = sql(
  'lg_put_checkpoint',
  `INSERT INTO lg_checkpoints (org_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
     parent_checkpoint_id = excluded.parent_checkpoint_id, key_version = excluded.key_version,
     nonce = excluded.nonce, sealed = excluded.sealed, created_at = excluded.created_at`,
);
const FIND_CHECKPOINT = sql(
  'lg_find_checkpoint',
  `SELECT ${COLUMNS} FROM lg_checkpoints
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
);
const FIND_LATEST = sql(
  'lg_find_latest',
  `SELECT ${COLUMNS} FROM lg_checkpoints WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ?
   ORDER BY checkpoint_id DESC LIMIT 1`,
);
// Checkpoint ids are uuid6 (time-ordered): newest first is descending id, as LangGraph lists them.
const LIST = sql(
  'lg_list',
  `SELECT ${COLUMNS} FROM lg_checkpoints
   WHERE org_id = ?
     AND (CAST(? AS TEXT) IS NULL OR thread_id = ?)
     AND (CAST(? AS TEXT) IS NULL OR checkpoint_ns = ?)
     AND (CAST(? AS TEXT) IS NULL OR checkpoint_id = ?)
     AND (CAST(? AS TEXT) IS NULL OR checkpoint_id < ?)
   ORDER BY checkpoint_id DESC, thread_id, checkpoint_ns
   LIMIT ?`,
);

// A channel version is written once: the first checkpoint that introduced it owns it.
const PUT_CHANNEL_VALUE = sql(
  'lg_put_channel_value',
  `INSERT INTO lg_channel_values
     (org_id, thread_id, checkpoint_ns, channel, version, checkpoint_id, key_version, nonce, sealed)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, thread_id, checkpoint_ns, channel, version) DO NOTHING`,
);
// Every value a checkpoint names, in one statement: the channel and version lists narrow the key
// lookups; the joined pair list keeps only the pairs asked for (the caller matches them exactly).
const FIND_CHANNEL_VALUES = sql(
  'lg_find_channel_values',
  `SELECT channel, version, checkpoint_id, key_version, nonce, sealed FROM lg_channel_values
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND channel IN (?[]) AND version IN (?[])
     AND (channel || '|' || version) IN (?[])`,
);

// What getTuple needs after the checkpoint itself, in one statement (one round trip on PostgreSQL):
// the values its channel versions name, and the pending writes against it.
const FIND_VALUES_AND_WRITES = sql(
  'lg_find_values_and_writes',
  `SELECT 'value' AS kind, channel AS a, version AS b, 0 AS idx, checkpoint_id, key_version, nonce, sealed
     FROM lg_channel_values
     WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND channel IN (?[]) AND version IN (?[])
       AND (channel || '|' || version) IN (?[])
   UNION ALL
   SELECT 'write' AS kind, task_id AS a, task_path AS b, idx, checkpoint_id, key_version, nonce, sealed
     FROM lg_writes WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
);

const INSERT_WRITE = sql(
  'lg_insert_write',
  `INSERT INTO lg_writes (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, key_version, nonce, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING`,
);
const REPLACE_WRITE = sql(
  'lg_replace_write',
  `INSERT INTO lg_writes (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, key_version, nonce, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
     task_path = excluded.task_path, key_version = excluded.key_version,
     nonce = excluded.nonce, sealed = excluded.sealed`,
);
// LangGraph's order of pending writes: by task path, then task, then index.
const FIND_WRITES = sql(
  'lg_find_writes',
  `SELECT task_id, idx, task_path, key_version, nonce, sealed FROM lg_writes
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?
   ORDER BY task_path, task_id, idx`,
);

const DELETE_CHECKPOINTS = sql(
  'lg_delete_checkpoints',
  'DELETE FROM lg_checkpoints WHERE org_id = ? AND thread_id = ?',
);
const DELETE_VALUES = sql(
  'lg_delete_values',
  'DELETE FROM lg_channel_values WHERE org_id = ? AND thread_id = ?',
);
const DELETE_WRITES = sql('lg_delete_writes', 'DELETE FROM lg_writes WHERE org_id = ? AND thread_id = ?');

/** Largest LIMIT both engines take as "no limit" (a bound parameter, never interpolated). */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** LangGraph threads: checkpoints, per-channel values (deltas) and pending writes, sealed by the service. */
export class SqlLangGraphStore implements LangGraphStore {
  constructor(private readonly x: Executor) {}

  putCheckpoint(orgId: string, row: LangGraphCheckpointRow): void {
    this.x.defer(PUT_CHECKPOINT, [
      orgId,
      row.threadId,
      row.checkpointNs,
      row.checkpointId,
      row.parentCheckpointId,
      row.keyVersion,
      row.nonce,
      row.sealed,
      row.createdAt,
    ]);
  }

  async findCheckpoint(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<LangGraphCheckpointRow | null> {
    const r =
      checkpointId === null
        ? await this.x.get<CheckpointColumns>(FIND_LATEST, [orgId, threadId, checkpointNs])
        : await this.x.get<CheckpointColumns>(FIND_CHECKPOINT, [orgId, threadId, checkpointNs, checkpointId]);
    return r ? checkpointRow(r) : null;
  }

  async listCheckpoints(orgId: string, q: LangGraphCheckpointQuery): Promise<LangGraphCheckpointRow[]> {
    const rows = await this.x.all<CheckpointColumns>(LIST, [
      orgId,
      q.threadId,
      q.threadId,
      q.checkpointNs,
      q.checkpointNs,
      q.checkpointId,
      q.checkpointId,
      q.before,
      q.before,
      q.limit ?? NO_LIMIT,
    ]);
    return rows.map(checkpointRow);
  }

  putChannelValue(orgId: string, row: LangGraphChannelValueRow): void {
    this.x.defer(PUT_CHANNEL_VALUE, [
      orgId,
      row.threadId,
      row.checkpointNs,
      row.channel,
      row.version,
      row.checkpointId,
      row.keyVersion,
      row.nonce,
      row.sealed,
    ]);
  }

  async findChannelValues(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    versions: ReadonlyArray<readonly [channel: string, version: string]>,
  ): Promise<LangGraphChannelValueRow[]> {
    if (versions.length === 0) return [];
    const wanted = new Set(versions.map(([c, v]) => `${c}|${v}`));
    const rows = await this.x.all<ChannelValueColumns>(FIND_CHANNEL_VALUES, [
      orgId,
      threadId,
      checkpointNs,
      versions.map(([c]) => c),
      versions.map(([, v]) => v),
      [...wanted],
    ]);
    const exact = new Set(versions.map((pair) => JSON.stringify(pair)));
    return rows
      .filter((r) => exact.has(JSON.stringify([r.channel, r.version])))
      .map((r) => ({
        threadId,
        checkpointNs,
        channel: r.channel,
        version: r.version,
        checkpointId: r.checkpoint_id,
        keyVersion: r.key_version,
        nonce: r.nonce,
        sealed: r.sealed,
      }));
  }

  putWrite(orgId: string, row: LangGraphWriteRow, replace: boolean): void {
    this.x.defer(replace ? REPLACE_WRITE : INSERT_WRITE, [
      orgId,
      row.threadId,
      row.checkpointNs,
      row.checkpointId,
      row.taskId,
      row.idx,
      row.taskPath,
      row.keyVersion,
      row.nonce,
      row.sealed,
    ]);
  }

  async findWrites(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
  ): Promise<LangGraphWriteRow[]> {
    const rows = await this.x.all<WriteColumns>(FIND_WRITES, [orgId, threadId, checkpointNs, checkpointId]);
    return rows.map((r) => ({
      threadId,
      checkpointNs,
      checkpointId,
      taskId: r.task_id,
      idx: r.idx,
      taskPath: r.task_path,
      keyVersion: r.key_version,
      nonce: r.nonce,
      sealed: r.sealed,
    }));
  }

  async findValuesAndWrites(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    versions: ReadonlyArray<readonly [channel: string, version: string]>,
    checkpointId: string,
  ): Promise<{ values: LangGraphChannelValueRow[]; writes: LangGraphWriteRow[] }> {
    const rows = await this.x.all<{
      kind: string;
      a: string;
      b: string;
      idx: number;
      checkpoint_id: string;
      key_version: number;
      nonce: Buffer;
      sealed: Buffer;
    }>(FIND_VALUES_AND_WRITES, [
      orgId,
      threadId,
      checkpointNs,
      versions.map(([c]) => c),
      versions.map(([, v]) => v),
      versions.map(([c, v]) => `${c}|${v}`),
      orgId,
      threadId,
      checkpointNs,
      checkpointId,
    ]);
    const exact = new Set(versions.map((pair) => JSON.stringify(pair)));
    const values: LangGraphChannelValueRow[] = [];
    const writes: LangGraphWriteRow[] = [];
    for (const r of rows) {
      const sealed = { keyVersion: r.key_version, nonce: r.nonce, sealed: r.sealed };
      if (r.kind === 'value') {
        if (!exact.has(JSON.stringify([r.a, r.b]))) continue;
        values.push({
          threadId,
          checkpointNs,
          channel: r.a,
          version: r.b,
          checkpointId: r.checkpoint_id,
          ...sealed,
        });
      } else {
        writes.push({
          threadId,
          checkpointNs,
          checkpointId,
          taskId: r.a,
          idx: r.idx,
          taskPath: r.b,
          ...sealed,
        });
      }
    }
    // The order findWrites gives (task path, task, index; byte order, as the "C" collation sorts).
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    writes.sort((x, y) => cmp(x.taskPath, y.taskPath) || cmp(x.taskId, y.taskId) || x.idx - y.idx);
    return { values, writes };
  }

  async deleteThread(orgId: string, threadId: string): Promise<number> {
    const values = [orgId, threadId];
    const writes = await this.x.run(DELETE_WRITES, values);
    const channelValues = await this.x.run(DELETE_VALUES, values);
    return (await this.x.run(DELETE_CHECKPOINTS, values)) + writes + channelValues;
  }
}

function checkpointRow(r: CheckpointColumns): LangGraphCheckpointRow {
  return {
    threadId: r.thread_id,
    checkpointNs: r.checkpoint_ns,
    checkpointId: r.checkpoint_id,
    parentCheckpointId: r.parent_checkpoint_id,
    keyVersion: r.key_version,
    nonce: r.nonce,
    sealed: r.sealed,
    createdAt: r.created_at,
  };
}
