import { assertConversationId } from '../agent/conversation-id.js';
import { type Clock, isoNow } from '../clock.js';
import { open, seal } from '../crypto/aead.js';
import type { OrgKeyService } from '../crypto/org-keys.js';
import { VaultError } from '../errors.js';
import type { OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type {
  LangGraphChannelValueRow,
  LangGraphCheckpointRow,
  LangGraphHomesRow,
  LangGraphWriteRow,
  SealedColumns,
} from '../storage/rows.js';
import { orgScope, type Storage } from '../storage/storage.js';
import type { LangGraphStore, Repositories } from '../storage/stores.js';
import { type ChannelHome, homesFromText, homesToText } from './channel-homes.js';
import { packParts, unpackParts } from './sealed-parts.js';
import type {
  ChannelValue,
  DecodedCheckpoint,
  LoadedCheckpoint,
  ThreadCheckpoint,
  ThreadQuery,
  ThreadWrite,
  Typed,
} from './thread-types.js';

/**
 * Associated data of every sealed LangGraph row: what it is, and the org, thread, namespace and
 * checkpoint it belongs to (plus the channel homes, the channel version or the task write), so a
 * row copied by SQL to another org, thread, namespace or checkpoint, or given other homes, does not
 * open. JSON keeps the fields unambiguous. v1 is the layout before migration 8 (a checkpoint row
 * without values, one row per channel value); v2 a checkpoint row with the values it introduced.
 */
const aad =
  (
    layout: 'v1' | 'v2',
    kind: string,
    orgId: string,
    threadId: string,
    ns: string,
    checkpointId: string,
    ...rest: unknown[]
  ) =>
  (keyVersion: number) =>
    Buffer.from(
      JSON.stringify([`orgvault/langgraph/${layout}`, kind, orgId, threadId, ns, checkpointId, ...rest, keyVersion]),
    );

type Aad = (keyVersion: number) => Buffer;

const text = (s: string) => Buffer.from(s, 'utf8');
const EMPTY = Buffer.alloc(0);

/** Parts of a v2 checkpoint row before its values; then 5 per value (channel, version, status, type, bytes). */
const HEAD_PARTS = 4;
const VALUE_PARTS = 5;

/** A value a checkpoint row introduced: `value` null when the channel is empty at that version. */
interface InlineValue {
  version: string;
  value: Typed | null;
}

/** An opened checkpoint row: the checkpoint, the values it holds, and where its other channels live. */
interface OpenedCheckpoint {
  stored: ThreadCheckpoint;
  inline: Map<string, InlineValue>;
  /** null: a row written before migration 8, whose values are all in lg_channel_values. */
  homes: Map<string, ChannelHome> | null;
}

/**
 * LangGraph threads of each org, sealed under the org's data key (src/crypto/org-keys.ts). Below
 * the tenant door: every method takes the org id first, and OrgLangGraph binds it.
 *
 * A put is one row: the checkpoint, its metadata and the values of the channels it changed, under
 * one seal, plus its channel homes (channel-homes.ts) saying which row holds each other channel's
 * value. getTuple reads that row with its pending writes in one statement and, only when a channel
 * last changed in an earlier checkpoint, those rows in one more.
 */
export class LangGraphThreadService {
  private readonly storage: Storage;
  private readonly orgs: OrgDirectory;
  private readonly orgKeys: OrgKeyService;
  private readonly clock: Clock;

  constructor(deps: { storage: Storage; orgs: OrgDirectory; orgKeys: OrgKeyService; clock: Clock }) {
    this.storage = deps.storage;
    this.orgs = deps.orgs;
    this.orgKeys = deps.orgKeys;
    this.clock = deps.clock;
  }

  /**
   * Stores a checkpoint with the channel values it introduced (`values`: the channels newVersions
   * names), in one row. `channelVersions` is every channel version the checkpoint names: those it
   * did not change are found through its parent's homes.
   */
  async putCheckpoint(
    orgId: OrgId,
    c: ThreadCheckpoint,
    channelVersions: ReadonlyArray<readonly [channel: string, version: string]>,
    values: readonly ChannelValue[],
  ): Promise<void> {
    assertConversationId(c.threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), async (tx) => {
      const key = await this.orgKeys.currentKey(tx, orgId);
      const homes = homesToText(await this.homesOf(tx.langgraph, orgId, c, channelVersions, values));
      const parts: Uint8Array[] = [text(c.checkpoint[0]), c.checkpoint[1], text(c.metadata[0]), c.metadata[1]];
      for (const v of values) {
        parts.push(text(v.channel), text(v.version));
        if (v.value === null) parts.push(text('empty'), EMPTY, EMPTY);
        else parts.push(text('value'), text(v.value[0]), v.value[1]);
      }
      tx.langgraph.putCheckpoint(orgId, {
        threadId: c.threadId,
        checkpointNs: c.checkpointNs,
        checkpointId: c.checkpointId,
        parentCheckpointId: c.parentCheckpointId,
        channelHomes: homes,
        createdAt: isoNow(this.clock),
        ...sealWith(key, packParts(parts), checkpointAad(orgId, c, homes)),
      });
    });
  }

  /**
   * One checkpoint (the newest of the namespace when `checkpointId` is null) with the values of its
   * channels and its pending writes: `decode` turns the opened checkpoint into the caller's form
   * and names the channel versions it needs.
   */
  async loadCheckpoint<T>(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
    decode: (checkpoint: ThreadCheckpoint) => Promise<DecodedCheckpoint<T>>,
  ): Promise<LoadedCheckpoint<T> | null> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), async (r) => {
      const found = await r.langgraph.findCheckpointWithWrites(orgId, threadId, checkpointNs, checkpointId);
      if (found === null) return null;
      const opened = await this.openCheckpoint(r, orgId, found.checkpoint);
      const { decoded, channels } = await decode(opened.stored);
      return {
        stored: opened.stored,
        decoded,
        values: await this.valuesOf(r, orgId, opened, channels),
        writes: await this.openWrites(r, orgId, found.writes),
      };
    });
  }

  /** Checkpoints of this org, newest first (without their values: loadCheckpoint reads those). */
  async listCheckpoints(orgId: OrgId, q: ThreadQuery): Promise<ThreadCheckpoint[]> {
    if (q.threadId !== null) assertConversationId(q.threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), async (r) => {
      const rows = await r.langgraph.listCheckpoints(orgId, q);
      const out: ThreadCheckpoint[] = [];
      for (const row of rows) out.push((await this.openCheckpoint(r, orgId, row)).stored);
      return out;
    });
  }

  /**
   * Pending writes against a checkpoint. A write at a non-negative index keeps the first one stored
   * under its (task, index); a special channel's (negative index) replaces it, as LangGraph's savers do.
   */
  async putWrites(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
    writes: readonly ThreadWrite[],
  ): Promise<void> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), async (tx) => {
      const key = await this.orgKeys.currentKey(tx, orgId);
      for (const w of writes) {
        const plain = packParts([text(w.channel), text(w.value[0]), w.value[1]]);
        const where = aad('v1', 'write', orgId, threadId, checkpointNs, checkpointId, w.taskId, w.idx);
        tx.langgraph.putWrite(
          orgId,
          {
            threadId,
            checkpointNs,
            checkpointId,
            taskId: w.taskId,
            idx: w.idx,
            taskPath: w.taskPath,
            ...sealWith(key, plain, where),
          },
          w.idx < 0,
        );
      }
    });
  }

  /** Pending writes of a checkpoint, ordered by (task path, task id, index). */
  async writes(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
  ): Promise<ThreadWrite[]> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), async (r) =>
      this.openWrites(r, orgId, await r.langgraph.findWrites(orgId, threadId, checkpointNs, checkpointId)),
    );
  }

  /** Deletes every checkpoint, value and write of the thread, in this org only. */
  async deleteThread(orgId: OrgId, threadId: string): Promise<void> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), (tx) => tx.langgraph.deleteThread(orgId, threadId));
  }

  /**
   * Where each channel version of a new checkpoint lives: its own row for the values it brings;
   * otherwise its parent's home for the same version (one plaintext read, no seal opened). A
   * version its parent does not know (no parent named, or a put that jumps versions) is looked up
   * among every row of the namespace, the row that introduced it; failing that, it is a value
   * stored before migration 8, or none.
   */
  private async homesOf(
    store: LangGraphStore,
    orgId: string,
    c: ThreadCheckpoint,
    channelVersions: ReadonlyArray<readonly [channel: string, version: string]>,
    values: readonly ChannelValue[],
  ): Promise<ChannelHome[]> {
    const homes = new Map<string, ChannelHome>();
    for (const v of values) homes.set(v.channel, [v.channel, v.version, c.checkpointId]);
    let pending = channelVersions.filter(([channel]) => !homes.has(channel));
    if (pending.length === 0) return [...homes.values()];
    const resolveFrom = (rows: readonly LangGraphHomesRow[], ownOnly: boolean) => {
      for (const row of rows) {
        // A row from before migration 8 kept every value in lg_channel_values.
        const known = row.channelHomes === null ? null : homesFromText(row.channelHomes);
        pending = pending.filter(([channel, version]) => {
          if (known === null) {
            if (ownOnly) return true;
            homes.set(channel, [channel, version, null]);
            return false;
          }
          const h = known.get(channel);
          if (h === undefined || h[1] !== version || (ownOnly && h[2] !== row.checkpointId)) return true;
          homes.set(channel, [channel, version, h[2]]);
          return false;
        });
      }
    };
    if (c.parentCheckpointId !== null) {
      resolveFrom(
        await store.findChannelHomes(orgId, c.threadId, c.checkpointNs, c.parentCheckpointId),
        false,
      );
    }
    if (pending.length > 0) resolveFrom(await store.findChannelHomes(orgId, c.threadId, c.checkpointNs, null), true);
    for (const [channel, version] of pending) homes.set(channel, [channel, version, null]);
    return [...homes.values()];
  }

  /** The values of the channel versions a checkpoint names: from its own row, the rows its homes name, or lg_channel_values. */
  private async valuesOf(
    r: Repositories,
    orgId: string,
    checkpoint: OpenedCheckpoint,
    channels: ReadonlyArray<readonly [channel: string, version: string]>,
  ): Promise<Map<string, Typed>> {
    const { threadId, checkpointNs, checkpointId } = checkpoint.stored;
    const out = new Map<string, Typed>();
    const take = (from: Map<string, InlineValue>, channel: string, version: string) => {
      const v = from.get(channel);
      if (v !== undefined && v.version === version && v.value !== null) out.set(channel, v.value);
    };
    const elsewhere = new Map<string, (readonly [string, string])[]>();
    const legacy: (readonly [string, string])[] = [];
    for (const pair of channels) {
      const [channel, version] = pair;
      let home: string | null = null;
      if (checkpoint.homes !== null) {
        const h = checkpoint.homes.get(channel);
        if (h === undefined || h[1] !== version) continue;
        home = h[2];
      }
      if (home === checkpointId) take(checkpoint.inline, channel, version);
      else if (home === null) legacy.push(pair);
      else elsewhere.set(home, [...(elsewhere.get(home) ?? []), pair]);
    }
    if (elsewhere.size > 0) {
      const rows = await r.langgraph.findCheckpoints(orgId, threadId, checkpointNs, [...elsewhere.keys()]);
      for (const row of rows) {
        const holder = await this.openCheckpoint(r, orgId, row);
        for (const [channel, version] of elsewhere.get(row.checkpointId) ?? []) {
          take(holder.inline, channel, version);
        }
      }
    }
    if (legacy.length > 0) {
      const rows = await r.langgraph.findChannelValues(orgId, threadId, checkpointNs, legacy);
      for (const row of rows) {
        const value = await this.openLegacyValue(r, orgId, row);
        if (value !== null) out.set(row.channel, value);
      }
    }
    return out;
  }

  private async openWrites(
    r: Repositories,
    orgId: string,
    rows: readonly LangGraphWriteRow[],
  ): Promise<ThreadWrite[]> {
    const out: ThreadWrite[] = [];
    for (const row of rows) {
      const { threadId, checkpointNs, checkpointId } = row;
      const where = aad('v1', 'write', orgId, threadId, checkpointNs, checkpointId, row.taskId, row.idx);
      const [channel, type, bytes] = unpackParts(await this.openRow(r, orgId, row, where), 3) as [
        Buffer,
        Buffer,
        Buffer,
      ];
      out.push({
        taskId: row.taskId,
        idx: row.idx,
        taskPath: row.taskPath,
        channel: channel.toString('utf8'),
        value: [type.toString('utf8'), bytes],
      });
    }
    return out;
  }

  private async openCheckpoint(
    r: Repositories,
    orgId: string,
    row: LangGraphCheckpointRow,
  ): Promise<OpenedCheckpoint> {
    const legacy = row.channelHomes === null;
    const where = legacy
      ? aad('v1', 'checkpoint', orgId, row.threadId, row.checkpointNs, row.checkpointId)
      : checkpointAad(orgId, row, row.channelHomes as string);
    const plain = await this.openRow(r, orgId, row, where);
    const parts = legacy ? unpackParts(plain, HEAD_PARTS) : unpackParts(plain);
    if (parts.length < HEAD_PARTS || (parts.length - HEAD_PARTS) % VALUE_PARTS !== 0) {
      throw new Error('sealed langgraph checkpoint: unexpected layout');
    }
    const [ct, c, mt, m] = parts as [Buffer, Buffer, Buffer, Buffer];
    const inline = new Map<string, InlineValue>();
    for (let i = HEAD_PARTS; i < parts.length; i += VALUE_PARTS) {
      const [channel, version, status, type, bytes] = parts.slice(i, i + VALUE_PARTS) as Buffer[] as [
        Buffer,
        Buffer,
        Buffer,
        Buffer,
        Buffer,
      ];
      inline.set(channel.toString('utf8'), {
        version: version.toString('utf8'),
        value: status.toString() === 'value' ? [type.toString('utf8'), bytes] : null,
      });
    }
    return {
      stored: {
        threadId: row.threadId,
        checkpointNs: row.checkpointNs,
        checkpointId: row.checkpointId,
        parentCheckpointId: row.parentCheckpointId,
        checkpoint: [ct.toString('utf8'), c],
        metadata: [mt.toString('utf8'), m],
      },
      inline,
      homes: legacy ? null : homesFromText(row.channelHomes as string),
    };
  }

  /** A channel value stored before migration 8 (its own row); null when empty at that version. */
  private async openLegacyValue(
    r: Repositories,
    orgId: string,
    row: LangGraphChannelValueRow,
  ): Promise<Typed | null> {
    const { threadId, checkpointNs, checkpointId, channel, version } = row;
    const where = aad('v1', 'channel', orgId, threadId, checkpointNs, checkpointId, channel, version);
    const [status, type, bytes] = unpackParts(await this.openRow(r, orgId, row, where), 3) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    return status.toString() === 'value' ? [type.toString('utf8'), bytes] : null;
  }

  /** Opens a sealed row; a row moved, altered or whose org key was destroyed fails, naming no value. */
  private async openRow(r: Repositories, orgId: string, row: SealedColumns, where: Aad): Promise<Buffer> {
    const key = await this.orgKeys.keyVersion(orgId, row.keyVersion, r);
    const plain = key === null ? null : open(key, row.nonce, row.sealed, where(row.keyVersion));
    if (plain === null) {
      throw new VaultError(
        'DECRYPTION_FAILED',
        `a LangGraph checkpoint row of org "${orgId}" cannot be decrypted: altered, copied from another org, thread or checkpoint, or the org key is gone`,
      );
    }
    return plain;
  }
}

/** A v2 checkpoint row's associated data: its place, and its channel homes as stored. */
function checkpointAad(
  orgId: string,
  c: { threadId: string; checkpointNs: string; checkpointId: string },
  homes: string,
): Aad {
  return aad('v2', 'checkpoint', orgId, c.threadId, c.checkpointNs, c.checkpointId, homes);
}

function sealWith(key: { version: number; key: Buffer }, plain: Buffer, where: Aad): SealedColumns {
  const sealed = seal(key.key, plain, where(key.version));
  return { keyVersion: key.version, nonce: sealed.nonce, sealed: sealed.ciphertext };
}
