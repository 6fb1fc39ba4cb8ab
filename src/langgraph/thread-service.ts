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
  ChannelVersion,
  DecodedCheckpoint,
  LoadedCheckpoint,
  ThreadCheckpoint,
  ThreadQuery,
  ThreadWrite,
  Typed,
} from './thread-types.js';

/**
 * Associated data of every sealed LangGraph row: what it is, and the org, thread, namespace and
 * checkpoint it belongs to (plus the channel version or the task write), so a row copied by SQL to
 * another org, thread, namespace or checkpoint does not open. JSON keeps the fields unambiguous. v1
 * is the layout before migration 8 (a checkpoint row without values, one row per channel value); v2
 * a checkpoint row holding the values it changed, whose channel homes follow the JSON on a line of
 * their own (the JSON has no raw newline), so homes given other text do not open either.
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
      JSON.stringify([
        `orgvault/langgraph/${layout}`,
        kind,
        orgId,
        threadId,
        ns,
        checkpointId,
        ...rest,
        keyVersion,
      ]),
    );

type Aad = (keyVersion: number) => Buffer;

const text = (s: string) => Buffer.from(s, 'utf8');

/** An opened checkpoint row, and where its channels' values live. */
interface OpenedCheckpoint {
  stored: ThreadCheckpoint;
  /** null: a row written before migration 8, whose values are all in lg_channel_values. */
  homes: Map<string, ChannelHome> | null;
}

/**
 * LangGraph threads of each org, sealed under the org's data key (src/crypto/org-keys.ts). Below
 * the tenant door: every method takes the org id first, and OrgLangGraph binds it.
 *
 * A put is one row: the checkpoint (serialized by the saver with the values of the channels it
 * changed) and its metadata under one seal, plus its channel homes (channel-homes.ts) saying which
 * row holds each other channel's value. getTuple reads that row with its pending writes in one
 * statement and, only when a channel last changed in an earlier checkpoint, those rows in one more.
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
   * Stores a checkpoint in one row: `changed` are the channel versions whose values its serialized
   * checkpoint holds (newVersions), `channelVersions` every one it names: the others are found
   * through its parent's homes.
   */
  async putCheckpoint(
    orgId: OrgId,
    c: ThreadCheckpoint,
    channelVersions: readonly ChannelVersion[],
    changed: readonly ChannelVersion[],
  ): Promise<void> {
    assertConversationId(c.threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), async (tx) => {
      const key = await this.orgKeys.currentKey(tx, orgId);
      const homes = homesToText(
        await this.homesOf(tx.langgraph, orgId, c, channelVersions, changed),
        c.checkpointId,
      );
      const plain = packParts([text(c.checkpoint[0]), c.checkpoint[1], text(c.metadata[0]), c.metadata[1]]);
      tx.langgraph.putCheckpoint(orgId, {
        threadId: c.threadId,
        checkpointNs: c.checkpointNs,
        checkpointId: c.checkpointId,
        parentCheckpointId: c.parentCheckpointId,
        channelHomes: homes,
        createdAt: isoNow(this.clock),
        ...sealWith(key, plain, checkpointAad(orgId, c, homes, key.version)),
      });
    });
  }

  /**
   * One checkpoint (the newest of the namespace when `checkpointId` is null) with its pending
   * writes, and where the values of its channels are: `decode` turns an opened checkpoint into the
   * caller's form and names its channel versions; it is also given each earlier checkpoint whose
   * row holds one of them.
   */
  async loadCheckpoint<T>(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
    decode: (checkpoint: ThreadCheckpoint) => Promise<DecodedCheckpoint<T>>,
  ): Promise<LoadedCheckpoint<T> | null> {
    assertConversationId(threadId);
    // Every await below is skipped when its answer is at hand (a known org, a cached key): this is
    // the read an agent run starts with.
    const unknownOrg = this.orgs.require(orgId);
    if (unknownOrg !== undefined) await unknownOrg;
    // `return await`: an async function adopting a returned promise costs two more turns.
    return await this.storage.read(orgScope(orgId), async (r) => {
      const found = await r.langgraph.findCheckpointWithWrites(orgId, threadId, checkpointNs, checkpointId);
      if (found === null) return null;
      const key = this.keyFor(r, orgId, found.checkpoint);
      const opened = this.openCheckpoint(orgId, found.checkpoint, key instanceof Promise ? await key : key);
      const { decoded, channels } = await decode(opened.stored);
      // Usually every channel is in this row or one earlier row; lists stay empty (and unallocated
      // beyond the literal) otherwise.
      const own: string[] = [];
      let elsewhere: Map<string, ChannelVersion[]> | null = null;
      let legacy: ChannelVersion[] | null = null;
      for (const pair of channels) {
        const [channel, version] = pair;
        const h = opened.homes === null ? undefined : opened.homes.get(channel);
        if (opened.homes !== null && (h === undefined || h[1] !== version)) continue;
        const home = h === undefined ? null : h[2];
        if (home === opened.stored.checkpointId) own.push(channel);
        else if (home === null) {
          legacy ??= [];
          legacy.push(pair);
        } else {
          elsewhere ??= new Map();
          const pairs = elsewhere.get(home);
          if (pairs === undefined) elsewhere.set(home, [pair]);
          else pairs.push(pair);
        }
      }
      const borrowed: [string, T][] = [];
      if (elsewhere !== null) {
        const rows = await r.langgraph.findCheckpoints(orgId, threadId, checkpointNs, [...elsewhere.keys()]);
        for (const row of rows) {
          const held = this.openCheckpoint(orgId, row, await this.keyFor(r, orgId, row));
          // Only what that row's own (sealed-over) homes say it introduced: a row put again under
          // its id, or a pointer copied from altered homes, never lends another value.
          const lent = (elsewhere.get(row.checkpointId) ?? []).filter(([channel, version]) => {
            const h = held.homes?.get(channel);
            return h !== undefined && h[1] === version && h[2] === row.checkpointId;
          });
          if (lent.length === 0) continue;
          const holder = (await decode(held.stored)).decoded;
          for (const [channel] of lent) borrowed.push([channel, holder]);
        }
      }
      return {
        stored: opened.stored,
        decoded,
        own,
        borrowed,
        values: legacy === null ? [] : await this.legacyValues(r, orgId, threadId, checkpointNs, legacy),
        writes: found.writes.length === 0 ? [] : await this.openWrites(r, orgId, found.writes),
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
      for (const row of rows)
        out.push(this.openCheckpoint(orgId, row, await this.keyFor(r, orgId, row)).stored);
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
            ...sealWith(key, plain, where(key.version)),
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
   * Where each channel version of a new checkpoint lives: its own row for the values it changed;
   * otherwise its parent's home for the same version (one plaintext read, no seal opened). A
   * version its parent does not know (no parent named, or a put that jumps versions) is looked up
   * among every row of the namespace, the row that introduced it; failing that, it is a value
   * stored before migration 8, or none.
   */
  private async homesOf(
    store: LangGraphStore,
    orgId: string,
    c: ThreadCheckpoint,
    channelVersions: readonly ChannelVersion[],
    changed: readonly ChannelVersion[],
  ): Promise<ChannelHome[]> {
    const homes = new Map<string, ChannelHome>();
    for (const [channel, version] of changed) homes.set(channel, [channel, version, c.checkpointId]);
    let pending = channelVersions.filter(([channel]) => !homes.has(channel));
    if (pending.length === 0) return [...homes.values()];
    const resolveFrom = (rows: readonly LangGraphHomesRow[], ownOnly: boolean) => {
      for (const row of rows) {
        if (pending.length === 0) return;
        // A row from before migration 8 kept every value in lg_channel_values.
        const known = row.channelHomes === null ? null : homesFromText(row.channelHomes, row.checkpointId);
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
    if (pending.length > 0)
      resolveFrom(await store.findChannelHomes(orgId, c.threadId, c.checkpointNs, null), true);
    for (const [channel, version] of pending) homes.set(channel, [channel, version, null]);
    return [...homes.values()];
  }

  /** Values stored before migration 8 (a row per channel version), by channel; a channel empty at its version is absent. */
  private async legacyValues(
    r: Repositories,
    orgId: string,
    threadId: string,
    checkpointNs: string,
    pairs: readonly ChannelVersion[],
  ): Promise<[string, Typed][]> {
    const out: [string, Typed][] = [];
    for (const row of await r.langgraph.findChannelValues(orgId, threadId, checkpointNs, pairs)) {
      const value = await this.openLegacyValue(r, orgId, row);
      if (value !== null) out.push([row.channel, value]);
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

  /** Opens a checkpoint row with its org key (keyFor); see openRow for what fails. */
  private openCheckpoint(orgId: string, row: LangGraphCheckpointRow, key: Buffer | null): OpenedCheckpoint {
    const homes = row.channelHomes;
    const where =
      homes === null
        ? aad('v1', 'checkpoint', orgId, row.threadId, row.checkpointNs, row.checkpointId)(row.keyVersion)
        : checkpointAad(orgId, row, homes, row.keyVersion);
    const [ct, c, mt, m] = unpackParts(openWith(orgId, key, row, where), 4) as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    return {
      stored: {
        threadId: row.threadId,
        checkpointNs: row.checkpointNs,
        checkpointId: row.checkpointId,
        parentCheckpointId: row.parentCheckpointId,
        checkpoint: [ct.toString('utf8'), c],
        metadata: [mt.toString('utf8'), m],
      },
      homes: homes === null ? null : homesFromText(homes, row.checkpointId),
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

  /** The org key a row was sealed with (null: destroyed); no await when this process has it already. */
  private keyFor(r: Repositories, orgId: string, row: SealedColumns): Buffer | Promise<Buffer | null> {
    return (
      this.orgKeys.cachedKeyVersion(orgId, row.keyVersion) ??
      this.orgKeys.keyVersion(orgId, row.keyVersion, r)
    );
  }

  private async openRow(r: Repositories, orgId: string, row: SealedColumns, where: Aad): Promise<Buffer> {
    return openWith(orgId, await this.keyFor(r, orgId, row), row, where(row.keyVersion));
  }
}

/** Opens a sealed row; a row moved, altered or whose org key was destroyed fails, naming no value. */
function openWith(orgId: string, key: Buffer | null, row: SealedColumns, where: Buffer): Buffer {
  const plain = key === null ? null : open(key, row.nonce, row.sealed, where);
  if (plain === null) {
    throw new VaultError(
      'DECRYPTION_FAILED',
      `a LangGraph checkpoint row of org "${orgId}" cannot be decrypted: altered, copied from another org, thread or checkpoint, or the org key is gone`,
    );
  }
  return plain;
}

/** A v2 checkpoint row's associated data: its place, then its channel homes as stored. */
function checkpointAad(
  orgId: string,
  c: { threadId: string; checkpointNs: string; checkpointId: string },
  homes: string,
  keyVersion: number,
): Buffer {
  return Buffer.from(
    `${JSON.stringify(['orgvault/langgraph/v2', 'checkpoint', orgId, c.threadId, c.checkpointNs, c.checkpointId, keyVersion])}\n${homes}`,
  );
}

function sealWith(key: { version: number; key: Buffer }, plain: Buffer, where: Buffer): SealedColumns {
  const sealed = seal(key.key, plain, where);
  return { keyVersion: key.version, nonce: sealed.nonce, sealed: sealed.ciphertext };
}
