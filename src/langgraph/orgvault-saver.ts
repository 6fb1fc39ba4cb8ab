import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  type PendingWrite,
  type SerializerProtocol,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
} from '@langchain/langgraph-checkpoint';
import { VaultError } from '../errors.js';
import type { OrgVault } from '../vault.js';
import type { OrgLangGraph } from './org-langgraph.js';
import { loadsTyped } from './plain-json.js';
import type { ChannelVersion, LoadedCheckpoint, ThreadCheckpoint, ThreadWrite } from './thread-types.js';

/**
 * A LangGraph.js checkpoint saver bound to one org: `new OrgvaultSaver(vault.org('acme'))`.
 * `thread_id` is a conversation id of that org; every checkpoint, channel value and pending write
 * is sealed under the org's data key (src/langgraph/thread-service.ts). It holds the org's narrow
 * LangGraph handle only, so it cannot read, list or delete another org's threads, and a config
 * whose `configurable.org_id` names another org is refused rather than quietly served from this one.
 */
export class OrgvaultSaver extends BaseCheckpointSaver {
  readonly orgId: string;
  readonly #threads: OrgLangGraph;
  /** decode, bound once (not a closure per read). */
  readonly #decode = (stored: ThreadCheckpoint) => this.decode(stored);

  constructor(org: OrgVault, serde?: SerializerProtocol) {
    super(serde);
    this.orgId = org.orgId;
    this.#threads = org.langgraph;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    this.assertOrg(config);
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) return undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const loaded = await this.#threads.loadCheckpoint(
      threadId,
      ns,
      getCheckpointId(config) || null,
      this.#decode,
    );
    // `await`, not a returned promise: an async function adopting a promise costs two more turns.
    return loaded === null ? undefined : await this.tuple(loaded);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    this.assertOrg(config);
    const { before, filter } = options;
    if (before) this.assertOrg(before);
    let remaining = options.limit;
    if (remaining !== undefined && remaining <= 0) return;
    const c = config.configurable ?? {};
    // The metadata is sealed: a filter is applied once opened, so the limit can only go to SQL without one.
    const rows = await this.#threads.listCheckpoints({
      threadId: (c.thread_id as string | undefined) ?? null,
      checkpointNs: (c.checkpoint_ns as string | undefined) ?? null,
      checkpointId: (c.checkpoint_id as string | undefined) || null,
      before: (before?.configurable?.checkpoint_id as string | undefined) ?? null,
      limit: filter === undefined ? (remaining ?? null) : null,
    });
    for (const row of rows) {
      const metadata = (await loadsTyped(this.serde, ...row.metadata)) as CheckpointMetadata;
      const meta = metadata as Record<string, unknown>;
      if (filter && !Object.entries(filter).every(([key, value]) => meta[key] === value)) continue;
      if (remaining !== undefined) {
        if (remaining <= 0) break;
        remaining -= 1;
      }
      // Its values and writes, read as getTuple reads them (gone meanwhile: deleted, skipped).
      const loaded = await this.#threads.loadCheckpoint(
        row.threadId,
        row.checkpointNs,
        row.checkpointId,
        this.#decode,
      );
      if (loaded === null) continue;
      yield await this.tuple(loaded, metadata);
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    this.assertOrg(config);
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) throw missing('put checkpoint', 'thread_id');
    const checkpointNs = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const copy = copyCheckpoint(checkpoint);
    // The checkpoint is stored with the values of the channels newVersions says changed (a delta, as
    // LangGraph's own savers do): a channel changed to empty is absent from them. The other channels'
    // values stay in the rows of the checkpoints that changed them last.
    const changed: Record<string, unknown> = {};
    for (const channel of Object.keys(newVersions)) {
      if (channel in copy.channel_values) changed[channel] = copy.channel_values[channel];
    }
    const [sealedCheckpoint, sealedMetadata] = await Promise.all([
      this.serde.dumpsTyped({ ...copy, channel_values: changed }),
      this.serde.dumpsTyped(metadata),
    ]);
    await this.#threads.putCheckpoint(
      {
        threadId,
        checkpointNs,
        checkpointId: checkpoint.id,
        parentCheckpointId: (config.configurable?.checkpoint_id as string | undefined) ?? null,
        checkpoint: sealedCheckpoint,
        metadata: sealedMetadata,
      },
      versionList(copy.channel_versions ?? {}),
      versionList(newVersions),
    );
    return {
      configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id },
    };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    this.assertOrg(config);
    const threadId = config.configurable?.thread_id as string | undefined;
    const checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (threadId === undefined) throw missing('put writes', 'thread_id');
    if (checkpointId === undefined) throw missing('put writes', 'checkpoint_id');
    const checkpointNs = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const rows: ThreadWrite[] = await Promise.all(
      writes.map(async ([channel, value], i) => ({
        taskId,
        // Special channels (errors, interrupts, ...) take a fixed negative index: a retry replaces them.
        idx: WRITES_IDX_MAP[channel] ?? i,
        taskPath: taskPath ?? '',
        channel,
        value: await this.serde.dumpsTyped(value),
      })),
    );
    await this.#threads.putWrites(threadId, checkpointNs, checkpointId, rows);
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.#threads.deleteThread(threadId);
  }

  /** Refuses a config meant for another org: serving it from this org would silently mix tenants. */
  private assertOrg(config: RunnableConfig): void {
    const named = config.configurable?.org_id;
    if (named !== undefined && named !== null && named !== this.orgId) {
      throw new VaultError(
        'FORBIDDEN',
        `this OrgvaultSaver is bound to org "${this.orgId}" but the config names org "${String(named)}": use a saver of that org`,
      );
    }
  }

  /** The opened checkpoint as LangGraph's type (with the values stored in its row), and the channel versions it names. */
  private async decode(
    stored: ThreadCheckpoint,
  ): Promise<{ decoded: Checkpoint; channels: ChannelVersion[] }> {
    const decoded = (await loadsTyped(this.serde, ...stored.checkpoint)) as Checkpoint;
    decoded.channel_values ??= {};
    return { decoded, channels: versionList(decoded.channel_versions ?? {}) };
  }

  private async tuple(
    loaded: LoadedCheckpoint<Checkpoint>,
    knownMetadata?: CheckpointMetadata,
  ): Promise<CheckpointTuple> {
    const { stored, decoded: checkpoint, own, borrowed, values, writes } = loaded;
    const { threadId, checkpointNs, checkpointId, parentCheckpointId } = stored;
    // Each channel's value at the version the checkpoint names: from its own row, the row of the
    // checkpoint that last changed it, or a row stored before migration 8.
    const channelValues: Record<string, unknown> = {};
    for (const channel of own) {
      if (channel in checkpoint.channel_values) channelValues[channel] = checkpoint.channel_values[channel];
    }
    for (const [channel, holder] of borrowed) {
      if (channel in holder.channel_values) channelValues[channel] = holder.channel_values[channel];
    }
    for (const [channel, typed] of values) channelValues[channel] = await loadsTyped(this.serde, ...typed);
    checkpoint.channel_values = channelValues;
    if (checkpoint.v < 4 && parentCheckpointId !== null) {
      await this.migratePendingSends(checkpoint, threadId, checkpointNs, parentCheckpointId);
    }
    if (writes.length > 1) writes.sort(byWritesSortKey);
    const pendingWrites: CheckpointPendingWrite[] = [];
    for (const w of writes)
      pendingWrites.push([w.taskId, w.channel, await loadsTyped(this.serde, ...w.value)]);
    const tuple: CheckpointTuple = {
      config: {
        configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId },
      },
      checkpoint,
      metadata: knownMetadata ?? ((await loadsTyped(this.serde, ...stored.metadata)) as CheckpointMetadata),
      pendingWrites,
    };
    if (parentCheckpointId !== null) {
      tuple.parentConfig = {
        configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: parentCheckpointId },
      };
    }
    return tuple;
  }

  /** Checkpoints before format 4 kept pending sends as the parent's TASKS writes: brought into the channel, as LangGraph's savers do. */
  private async migratePendingSends(
    checkpoint: Checkpoint,
    threadId: string,
    checkpointNs: string,
    parentCheckpointId: string,
  ): Promise<void> {
    const parentWrites = await this.#threads.writes(threadId, checkpointNs, parentCheckpointId);
    const sends = await Promise.all(
      parentWrites.filter((w) => w.channel === TASKS).map((w) => loadsTyped(this.serde, ...w.value)),
    );
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions ?? {});
    checkpoint.channel_versions = checkpoint.channel_versions ?? {};
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

/** LangGraph's own order of pending writes (task path, task id, index). */
function byWritesSortKey(a: ThreadWrite, b: ThreadWrite): number {
  return compareWritesSortKeys(
    writesSortKey(a.taskPath, a.taskId, a.idx),
    writesSortKey(b.taskPath, b.taskId, b.idx),
  );
}

/** LangGraph's channel versions (numbers or strings) as stored: strings. */
function versionList(versions: ChannelVersions): ChannelVersion[] {
  return Object.entries(versions).map(([channel, version]) => [channel, String(version)] as const);
}

function missing(what: string, field: string): Error {
  return new Error(
    `Failed to ${what}: the RunnableConfig has no "${field}" in its "configurable" (a checkpointer needs e.g. { configurable: { thread_id: "<conversation id>" } })`,
  );
}
