import type {
  LangGraphChannelValueRow,
  LangGraphCheckpointQuery,
  LangGraphCheckpointRow,
  LangGraphCheckpointWrite,
  LangGraphHomesRow,
  LangGraphWriteRow,
} from '../rows.js';
import type { LangGraphStore } from '../stores.js';
import { type Executor, sql } from './executor.js';

interface CheckpointColumns {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  channel_homes: string | null;
  key_version: number;
  nonce: Buffer;
  sealed: Buffer;
}

interface ChannelValueColumns {
  channel: string;
  version: string;
  checkpoint_id: string;
  key_version: number;
  nonce: Buffer;
  sealed: Buffer;
}

/** A row of getTuple's one statement: the checkpoint or one of its pending writes (see FIND_WITH_WRITES). */
interface FoundColumns {
  /** 0: the checkpoint, 1: a pending write (a number: no string made per row). */
  kind: 0 | 1;
  a: string;
  b: string | null;
  idx: number;
  homes: string | null;
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
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_homes, key_version, nonce, sealed';
// A checkpoint put again under the same id replaces the stored one (as LangGraph's own savers do).
const PUT_CHECKPOINT = sql(
  'lg_put_checkpoint',
  `INSERT INTO lg_checkpoints (org_id, ${COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
     parent_checkpoint_id = excluded.parent_checkpoint_id, channel_homes = excluded.channel_homes,
     key_version = excluded.key_version, nonce = excluded.nonce, sealed = excluded.sealed,
     created_at = excluded.created_at`,
);

/**
 * getTuple's read, in one statement (one round trip on PostgreSQL): the checkpoint row (the given
 * one, or the namespace's newest: checkpoint ids are uuid6, time-ordered), then the pending writes
 * against it. The two variants differ only in how they name the checkpoint.
 */
const CHECKPOINT_BRANCH = `SELECT 0 AS kind, checkpoint_id AS a, parent_checkpoint_id AS b, 0 AS idx,
         channel_homes AS homes, key_version, nonce, sealed
       FROM lg_checkpoints WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ?`;
const WRITES_BRANCH = `SELECT 1 AS kind, task_id AS a, task_path AS b, idx,
         NULL AS homes, key_version, nonce, sealed
       FROM lg_writes WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id =`;
const NEWEST =
  '(SELECT max(checkpoint_id) FROM lg_checkpoints WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ?)';
const FIND_WITH_WRITES = sql(
  'lg_find_with_writes',
  `${CHECKPOINT_BRANCH} AND checkpoint_id = ?
   UNION ALL
   ${WRITES_BRANCH} ?`,
);
const FIND_LATEST_WITH_WRITES = sql(
  'lg_find_latest_with_writes',
  `SELECT * FROM (${CHECKPOINT_BRANCH} ORDER BY checkpoint_id DESC LIMIT 1) AS cp
   UNION ALL
   ${WRITES_BRANCH} ${NEWEST}`,
);

// The rows other checkpoints' channel homes point at.
const FIND_CHECKPOINTS = sql(
  'lg_find_checkpoints',
  `SELECT ${COLUMNS} FROM lg_checkpoints
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id IN (?[])`,
);
// A put's parent's homes (plaintext, no seal opened): one key lookup. Two statements, not one with
// "? IS NULL OR", which would keep both engines from seeking on checkpoint_id in a long thread.
const FIND_HOMES = sql(
  'lg_find_homes',
  `SELECT checkpoint_id, channel_homes FROM lg_checkpoints
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
);
// Every row's homes in the namespace, newest first: the rare fallback of a put whose parent does not say (thread-service.ts).
const FIND_ALL_HOMES = sql(
  'lg_find_all_homes',
  `SELECT checkpoint_id, channel_homes FROM lg_checkpoints
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC`,
);

// Newest first is descending id, as LangGraph lists them.
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

// Values of checkpoints written before migration 8 (one row per channel version). The channel and
// version lists narrow the key lookups; the joined pair list keeps only the pairs asked for.
const FIND_CHANNEL_VALUES = sql(
  'lg_find_channel_values',
  `SELECT channel, version, checkpoint_id, key_version, nonce, sealed FROM lg_channel_values
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND channel IN (?[]) AND version IN (?[])
     AND (channel || '|' || version) IN (?[])`,
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
const FIND_WRITES = sql(
  'lg_find_writes',
  `SELECT task_id, idx, task_path, key_version, nonce, sealed FROM lg_writes
   WHERE org_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
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

/** LangGraph threads: checkpoints (each with the channel values it introduced) and pending writes, sealed by the service. */
export class SqlLangGraphStore implements LangGraphStore {
  constructor(private readonly x: Executor) {}

  putCheckpoint(orgId: string, row: LangGraphCheckpointWrite): void {
    this.x.defer(PUT_CHECKPOINT, [
      orgId,
      row.threadId,
      row.checkpointNs,
      row.checkpointId,
      row.parentCheckpointId,
      row.channelHomes,
      row.keyVersion,
      row.nonce,
      row.sealed,
      row.createdAt,
    ]);
  }

  async findCheckpointWithWrites(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<{ checkpoint: LangGraphCheckpointRow; writes: LangGraphWriteRow[] } | null> {
    const key = [orgId, threadId, checkpointNs];
    const answer = this.x.all<FoundColumns>(
      checkpointId === null ? FIND_LATEST_WITH_WRITES : FIND_WITH_WRITES,
      checkpointId === null ? [...key, ...key, ...key] : [...key, checkpointId, ...key, checkpointId],
    );
    // SQLite answers at once: no await (getTuple's hot path) unless the engine makes one.
    const rows = answer instanceof Promise ? await answer : answer;
    let checkpoint: LangGraphCheckpointRow | null = null;
    const writes: LangGraphWriteRow[] = [];
    for (const r of rows) {
      if (r.kind === 0) {
        checkpoint = {
          threadId,
          checkpointNs,
          checkpointId: r.a,
          parentCheckpointId: r.b,
          channelHomes: r.homes,
          keyVersion: r.key_version,
          nonce: r.nonce,
          sealed: r.sealed,
        };
      } else {
        writes.push({
          threadId,
          checkpointNs,
          checkpointId: '',
          taskId: r.a,
          idx: r.idx,
          taskPath: r.b ?? '',
          keyVersion: r.key_version,
          nonce: r.nonce,
          sealed: r.sealed,
        });
      }
    }
    if (checkpoint === null) return null;
    for (const w of writes) w.checkpointId = checkpoint.checkpointId;
    return { checkpoint, writes: sortWrites(writes) };
  }

  async findCheckpoints(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointIds: readonly string[],
  ): Promise<LangGraphCheckpointRow[]> {
    if (checkpointIds.length === 0) return [];
    const rows = await this.x.all<CheckpointColumns>(FIND_CHECKPOINTS, [
      orgId,
      threadId,
      checkpointNs,
      [...checkpointIds],
    ]);
    return rows.map(checkpointRow);
  }

  async findChannelHomes(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<LangGraphHomesRow[]> {
    const rows = await this.x.all<{ checkpoint_id: string; channel_homes: string | null }>(
      checkpointId === null ? FIND_ALL_HOMES : FIND_HOMES,
      checkpointId === null ? [orgId, threadId, checkpointNs] : [orgId, threadId, checkpointNs, checkpointId],
    );
    return rows.map((r) => ({ checkpointId: r.checkpoint_id, channelHomes: r.channel_homes }));
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
    return sortWrites(
      rows.map((r) => ({
        threadId,
        checkpointNs,
        checkpointId,
        taskId: r.task_id,
        idx: r.idx,
        taskPath: r.task_path,
        keyVersion: r.key_version,
        nonce: r.nonce,
        sealed: r.sealed,
      })),
    );
  }

  async deleteThread(orgId: string, threadId: string): Promise<number> {
    const values = [orgId, threadId];
    const writes = await this.x.run(DELETE_WRITES, values);
    const channelValues = await this.x.run(DELETE_VALUES, values);
    return (await this.x.run(DELETE_CHECKPOINTS, values)) + writes + channelValues;
  }
}

/**
 * LangGraph's order of pending writes: task path, task id, index (the saver sorts them again with
 * LangGraph's own key); sorted here, not in SQL, so both engines agree whatever the plan.
 */
function sortWrites(writes: LangGraphWriteRow[]): LangGraphWriteRow[] {
  return writes.length < 2 ? writes : writes.sort(compareWrites);
}

function compareWrites(x: LangGraphWriteRow, y: LangGraphWriteRow): number {
  return compareText(x.taskPath, y.taskPath) || compareText(x.taskId, y.taskId) || x.idx - y.idx;
}

/** Code-unit order, as both engines' C collation compares these ASCII ids. */
function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkpointRow(r: CheckpointColumns): LangGraphCheckpointRow {
  return {
    threadId: r.thread_id,
    checkpointNs: r.checkpoint_ns,
    checkpointId: r.checkpoint_id,
    parentCheckpointId: r.parent_checkpoint_id,
    channelHomes: r.channel_homes,
    keyVersion: r.key_version,
    nonce: r.nonce,
    sealed: r.sealed,
  };
}
