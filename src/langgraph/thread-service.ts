import { assertConversationId } from '../agent/conversation-id.js';
import { type Clock, isoNow } from '../clock.js';
import { open, seal } from '../crypto/aead.js';
import type { OrgKeyService } from '../crypto/org-keys.js';
import { VaultError } from '../errors.js';
import type { OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { LangGraphChannelValueRow, LangGraphWriteRow, SealedColumns } from '../storage/rows.js';
import { orgScope, type Storage } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
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
 * checkpoint it belongs to (plus the channel version or task write), so a row copied by SQL to
 * another org, thread, namespace or checkpoint does not open. JSON keeps the fields unambiguous.
 */
const aad =
  (kind: string, orgId: string, threadId: string, ns: string, checkpointId: string, ...rest: unknown[]) =>
  (keyVersion: number) =>
    Buffer.from(
      JSON.stringify(['orgvault/langgraph/v1', kind, orgId, threadId, ns, checkpointId, ...rest, keyVersion]),
    );

type Aad = (keyVersion: number) => Buffer;

const text = (s: string) => Buffer.from(s, 'utf8');

/**
 * LangGraph threads of each org, sealed under the org's data key (src/crypto/org-keys.ts). Below
 * the tenant door: every method takes the org id first, and OrgLangGraph binds it.
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

  /** Stores a checkpoint and the channel values it introduced, in one transaction. */
  async putCheckpoint(orgId: OrgId, c: ThreadCheckpoint, values: readonly ChannelValue[]): Promise<void> {
    assertConversationId(c.threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), async (tx) => {
      const key = await this.orgKeys.currentKey(tx, orgId);
      const plain = packParts([text(c.checkpoint[0]), c.checkpoint[1], text(c.metadata[0]), c.metadata[1]]);
      const where = aad('checkpoint', orgId, c.threadId, c.checkpointNs, c.checkpointId);
      tx.langgraph.putCheckpoint(orgId, {
        threadId: c.threadId,
        checkpointNs: c.checkpointNs,
        checkpointId: c.checkpointId,
        parentCheckpointId: c.parentCheckpointId,
        createdAt: isoNow(this.clock),
        ...sealWith(key, plain, where),
      });
      for (const v of values) {
        const parts =
          v.value === null
            ? [text('empty'), text(''), Buffer.alloc(0)]
            : [text('value'), text(v.value[0]), v.value[1]];
        const at = aad('channel', orgId, c.threadId, c.checkpointNs, c.checkpointId, v.channel, v.version);
        tx.langgraph.putChannelValue(orgId, {
          threadId: c.threadId,
          checkpointNs: c.checkpointNs,
          channel: v.channel,
          version: v.version,
          checkpointId: c.checkpointId,
          ...sealWith(key, packParts(parts), at),
        });
      }
    });
  }

  /** One checkpoint (the newest of the namespace when `checkpointId` is null), or null. */
  async getCheckpoint(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<ThreadCheckpoint | null> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), async (r) => {
      const row = await r.langgraph.findCheckpoint(orgId, threadId, checkpointNs, checkpointId);
      return row === null ? null : this.openCheckpoint(r, orgId, row);
    });
  }

  /**
   * One checkpoint with the values of its channels and its pending writes, in one read: `decode`
   * turns the opened checkpoint into the caller's form and names the channel versions to fetch.
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
      const row = await r.langgraph.findCheckpoint(orgId, threadId, checkpointNs, checkpointId);
      if (row === null) return null;
      const stored = await this.openCheckpoint(r, orgId, row);
      const { decoded, channels } = await decode(stored);
      const found = await r.langgraph.findValuesAndWrites(
        orgId,
        threadId,
        checkpointNs,
        channels,
        stored.checkpointId,
      );
      return {
        stored,
        decoded,
        values: await this.openValues(r, orgId, threadId, checkpointNs, found.values),
        writes: await this.openWrites(r, orgId, threadId, checkpointNs, stored.checkpointId, found.writes),
      };
    });
  }

  /** Checkpoints of this org, newest first. */
  async listCheckpoints(orgId: OrgId, q: ThreadQuery): Promise<ThreadCheckpoint[]> {
    if (q.threadId !== null) assertConversationId(q.threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), async (r) => {
      const rows = await r.langgraph.listCheckpoints(orgId, q);
      const out: ThreadCheckpoint[] = [];
      for (const row of rows) out.push(await this.openCheckpoint(r, orgId, row));
      return out;
    });
  }

  /** The stored values of the given channel versions; a channel empty at its version, or never stored, is absent. */
  async channelValues(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    versions: ReadonlyArray<readonly [channel: string, version: string]>,
  ): Promise<Map<string, Typed>> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), (r) =>
      this.readValues(r, orgId, threadId, checkpointNs, versions),
    );
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
        const where = aad('write', orgId, threadId, checkpointNs, checkpointId, w.taskId, w.idx);
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

  /** Pending writes of a checkpoint, ordered by (task path, task id, index) as stored. */
  async writes(
    orgId: OrgId,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
  ): Promise<ThreadWrite[]> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    return this.storage.read(orgScope(orgId), (r) =>
      this.readWrites(r, orgId, threadId, checkpointNs, checkpointId),
    );
  }

  /** Deletes every checkpoint, value and write of the thread, in this org only. */
  async deleteThread(orgId: OrgId, threadId: string): Promise<void> {
    assertConversationId(threadId);
    await this.orgs.require(orgId);
    await this.storage.transaction(orgScope(orgId), (tx) => tx.langgraph.deleteThread(orgId, threadId));
  }

  private async readValues(
    r: Repositories,
    orgId: string,
    threadId: string,
    checkpointNs: string,
    versions: ReadonlyArray<readonly [channel: string, version: string]>,
  ): Promise<Map<string, Typed>> {
    const rows = await r.langgraph.findChannelValues(orgId, threadId, checkpointNs, versions);
    return this.openValues(r, orgId, threadId, checkpointNs, rows);
  }

  private async openValues(
    r: Repositories,
    orgId: string,
    threadId: string,
    checkpointNs: string,
    rows: readonly LangGraphChannelValueRow[],
  ): Promise<Map<string, Typed>> {
    const out = new Map<string, Typed>();
    for (const row of rows) {
      const { channel, version } = row;
      const where = aad('channel', orgId, threadId, checkpointNs, row.checkpointId, channel, version);
      const [status, type, bytes] = unpackParts(await this.openRow(r, orgId, row, where), 3) as [
        Buffer,
        Buffer,
        Buffer,
      ];
      if (status.toString() === 'value') out.set(channel, [type.toString('utf8'), bytes]);
    }
    return out;
  }

  private async readWrites(
    r: Repositories,
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
  ): Promise<ThreadWrite[]> {
    const rows = await r.langgraph.findWrites(orgId, threadId, checkpointNs, checkpointId);
    return this.openWrites(r, orgId, threadId, checkpointNs, checkpointId, rows);
  }

  private async openWrites(
    r: Repositories,
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
    rows: readonly LangGraphWriteRow[],
  ): Promise<ThreadWrite[]> {
    const out: ThreadWrite[] = [];
    for (const row of rows) {
      const where = aad('write', orgId, threadId, checkpointNs, checkpointId, row.taskId, row.idx);
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
    row: SealedColumns & {
      threadId: string;
      checkpointNs: string;
      checkpointId: string;
      parentCheckpointId: string | null;
    },
  ): Promise<ThreadCheckpoint> {
    const where = aad('checkpoint', orgId, row.threadId, row.checkpointNs, row.checkpointId);
    const [ct, c, mt, m] = unpackParts(await this.openRow(r, orgId, row, where), 4) as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    return {
      threadId: row.threadId,
      checkpointNs: row.checkpointNs,
      checkpointId: row.checkpointId,
      parentCheckpointId: row.parentCheckpointId,
      checkpoint: [ct.toString('utf8'), c],
      metadata: [mt.toString('utf8'), m],
    };
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

function sealWith(key: { version: number; key: Buffer }, plain: Buffer, where: Aad): SealedColumns {
  const sealed = seal(key.key, plain, where(key.version));
  return { keyVersion: key.version, nonce: sealed.nonce, sealed: sealed.ciphertext };
}
