import type { RunnableConfig } from '@langchain/core/runnables';
import {
  type Checkpoint,
  type CheckpointTuple,
  emptyCheckpoint,
  JsonPlusSerializer,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seal } from '../../src/crypto/aead.js';
import { OrgvaultSaver } from '../../src/langgraph/index.js';
import { packParts } from '../../src/langgraph/sealed-parts.js';
import type { Vault } from '../../src/vault.js';
import { type FreshDatabase, freshVault, selectedBackends } from '../support/backends.js';
import { orgDataKey } from '../support/org-data-keys.js';
import { rawQuery, rawSql } from '../support/raw-sql.js';

/**
 * How OrgvaultSaver stores a thread (src/langgraph/thread-service.ts): one row per put holding the
 * values it changed, channel homes naming the row of every other channel's value, and rows written
 * before migration 8 (one row per channel value) still read.
 */
const THREAD = 'thread-1';
const meta = { source: 'loop' as const, step: 1, parents: {} };
const serde = new JsonPlusSerializer();
const text = (s: string) => Buffer.from(s, 'utf8');

const at = (id: string | undefined, thread = THREAD): RunnableConfig => ({
  configurable: { thread_id: thread, checkpoint_ns: '', ...(id === undefined ? {} : { checkpoint_id: id }) },
});

/** A checkpoint whose channel versions are `versions`, holding `values`. */
function checkpoint(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

const idOf = (c: RunnableConfig) => c.configurable?.checkpoint_id as string;
const valuesOf = (t: CheckpointTuple | undefined) => t?.checkpoint.channel_values;

/**
 * Writes a checkpoint in the layout of orgvault before migration 8 (what an upgraded database
 * holds): the checkpoint row without channel homes, sealed with the v1 associated data, and one
 * sealed lg_channel_values row per value.
 */
async function putLegacy(
  db: FreshDatabase,
  orgId: string,
  cp: Checkpoint,
  parentId: string | null,
  newVersions: Record<string, number>,
): Promise<RunnableConfig> {
  const key = await orgDataKey(db, orgId);
  const aad = (...fields: unknown[]) => Buffer.from(JSON.stringify(['orgvault/langgraph/v1', ...fields, 1]));
  const [ct, c] = await serde.dumpsTyped({ ...cp, channel_values: {} });
  const [mt, m] = await serde.dumpsTyped(meta);
  const sealed = seal(
    key,
    packParts([text(ct), c, text(mt), m]),
    aad('checkpoint', orgId, THREAD, '', cp.id),
  );
  await rawSql(
    db,
    orgId,
    `INSERT INTO lg_checkpoints (org_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, key_version, nonce, sealed, created_at)
     VALUES (?, ?, '', ?, ?, 1, ?, ?, ?)`,
    [orgId, THREAD, cp.id, parentId, sealed.nonce, sealed.ciphertext, new Date().toISOString()],
  );
  for (const [channel, version] of Object.entries(newVersions)) {
    const [vt, v] = await serde.dumpsTyped(cp.channel_values[channel]);
    const value = seal(
      key,
      packParts([text('value'), text(vt), v]),
      aad('channel', orgId, THREAD, '', cp.id, channel, String(version)),
    );
    await rawSql(
      db,
      orgId,
      `INSERT INTO lg_channel_values (org_id, thread_id, checkpoint_ns, channel, version, checkpoint_id, key_version, nonce, sealed)
       VALUES (?, ?, '', ?, ?, ?, 1, ?, ?)`,
      [orgId, THREAD, channel, String(version), cp.id, value.nonce, value.ciphertext],
    );
  }
  return at(cp.id);
}

for (const backend of await selectedBackends())
  describe(`OrgvaultSaver storage on ${backend.name}`, () => {
    let vault: Vault;
    let db: FreshDatabase;
    let close: () => Promise<void>;
    let saver: OrgvaultSaver;

    beforeEach(async () => {
      ({ vault, db, close } = await freshVault(backend));
      await vault.system.createOrg('acme', { name: 'Acme' });
      saver = new OrgvaultSaver(vault.org('acme'));
    });
    afterEach(async () => {
      await close();
    });

    it('a channel unchanged for several steps is read from the row that last changed it, and each put is one row', async () => {
      const c1 = await saver.put(at(undefined), checkpoint({ a: 'a1', b: 'b1' }, { a: 1, b: 1 }), meta, {
        a: 1,
        b: 1,
      });
      const c2 = await saver.put(c1, checkpoint({ a: 'a1', b: 'b2' }, { a: 1, b: 2 }), meta, { b: 2 });
      const c3 = await saver.put(c2, checkpoint({ a: 'a1', b: 'b3' }, { a: 1, b: 3 }), meta, { b: 3 });
      expect(valuesOf(await saver.getTuple(at(undefined)))).toEqual({ a: 'a1', b: 'b3' });
      expect(valuesOf(await saver.getTuple(c2))).toEqual({ a: 'a1', b: 'b2' });
      // list reads each checkpoint as getTuple does.
      const listed: unknown[] = [];
      for await (const t of saver.list(at(undefined)))
        listed.push([t.config.configurable?.checkpoint_id, valuesOf(t)]);
      expect(listed).toEqual([
        [idOf(c3), { a: 'a1', b: 'b3' }],
        [idOf(c2), { a: 'a1', b: 'b2' }],
        [idOf(c1), { a: 'a1', b: 'b1' }],
      ]);
      const rows = await rawQuery<{ checkpoint_id: string; channel_homes: string }>(
        db,
        'acme',
        'SELECT checkpoint_id, channel_homes FROM lg_checkpoints WHERE org_id = ? ORDER BY checkpoint_id',
        ['acme'],
      );
      // A home that is the row itself is left out ([channel, version]).
      expect(rows.map((r) => JSON.parse(r.channel_homes))).toEqual([
        [
          ['a', '1'],
          ['b', '1'],
        ],
        [
          ['b', '2'],
          ['a', '1', idOf(c1)],
        ],
        [
          ['b', '3'],
          ['a', '1', idOf(c1)],
        ],
      ]);
      expect(await rawQuery(db, 'acme', 'SELECT * FROM lg_channel_values', [])).toEqual([]);
    });

    it('an emptied channel reads as absent, and a put that names no parent finds a version another row introduced', async () => {
      const c1 = await saver.put(at(undefined), checkpoint({ a: 'a1', b: 'b1' }, { a: 1, b: 1 }), meta, {
        a: 1,
        b: 1,
      });
      // b emptied at version 2 (in newVersions, absent from channel_values).
      const c2 = await saver.put(c1, checkpoint({ a: 'a1' }, { a: 1, b: 2 }), meta, { b: 2 });
      expect(valuesOf(await saver.getTuple(c2))).toEqual({ a: 'a1' });
      // No parent in the config: a@1 is found in c1's row; c@7 was never stored by anyone.
      const c3 = await saver.put(at(undefined), checkpoint({}, { a: 1, c: 7 }), meta, {});
      expect(valuesOf(await saver.getTuple(c3))).toEqual({ a: 'a1' });
    });

    it('channel homes altered by SQL make the row unreadable instead of pointing it at other values', async () => {
      const c1 = await saver.put(at(undefined), checkpoint({ a: 'secret-1' }, { a: 1 }), meta, { a: 1 });
      const c2 = await saver.put(c1, checkpoint({ a: 'secret-2' }, { a: 2 }), meta, { a: 2 });
      const c3 = await saver.put(c2, checkpoint({ a: 'secret-2', n: 0 }, { a: 2, n: 1 }), meta, { n: 1 });
      expect(valuesOf(await saver.getTuple(c3))).toEqual({ a: 'secret-2', n: 0 });
      const forged = JSON.stringify([
        ['n', '1'],
        ['a', '1', idOf(c1)],
      ]);
      const changed = await rawSql(
        db,
        'acme',
        'UPDATE lg_checkpoints SET channel_homes = ? WHERE org_id = ? AND checkpoint_id = ?',
        [forged, 'acme', idOf(c3)],
      );
      expect(changed).toBe(1);
      await expect(saver.getTuple(c3)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
      // Removing the homes (posing as a row from before migration 8) does not open either.
      await rawSql(
        db,
        'acme',
        'UPDATE lg_checkpoints SET channel_homes = NULL WHERE org_id = ? AND checkpoint_id = ?',
        ['acme', idOf(c3)],
      );
      await expect(saver.getTuple(c3)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
      expect(valuesOf(await saver.getTuple(c2))).toEqual({ a: 'secret-2' });
    });

    it("a pointer copied from a parent whose homes were altered never lends another version's value", async () => {
      const c1 = await saver.put(at(undefined), checkpoint({ x: 'old' }, { x: 1 }), meta, { x: 1 });
      const c2 = await saver.put(c1, checkpoint({ x: 'new' }, { x: 2 }), meta, { x: 2 });
      // An attacker with SQL access claims x@2 lives in c1's row (c2 itself no longer opens).
      const forged = JSON.stringify([['x', '2', idOf(c1)]]);
      await rawSql(
        db,
        'acme',
        'UPDATE lg_checkpoints SET channel_homes = ? WHERE org_id = ? AND checkpoint_id = ?',
        [forged, 'acme', idOf(c2)],
      );
      await expect(saver.getTuple(c2)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
      // A child put on c2 copies the pointer; c1's own sealed homes say it holds x@1, not x@2.
      const c3 = await saver.put(c2, checkpoint({ x: 'new', n: 1 }, { x: 2, n: 1 }), meta, { n: 1 });
      expect(valuesOf(await saver.getTuple(c3))).toEqual({ n: 1 });
    });

    it('checkpoints stored before migration 8 still read, alone and as the parent of a new put', async () => {
      await saver.put(at(undefined), checkpoint({}, {}), meta, {}); // gives acme its data key
      const old1 = checkpoint({ a: 'old-a', b: 'old-b' }, { a: 1, b: 1 });
      const l1 = await putLegacy(db, 'acme', old1, null, { a: 1, b: 1 });
      const old2 = checkpoint({ a: 'old-a', b: 'old-b2' }, { a: 1, b: 2 });
      const l2 = await putLegacy(db, 'acme', old2, idOf(l1), { b: 2 });
      expect(valuesOf(await saver.getTuple(l1))).toEqual({ a: 'old-a', b: 'old-b' });
      expect(valuesOf(await saver.getTuple(l2))).toEqual({ a: 'old-a', b: 'old-b2' });
      // A new put continuing the legacy thread: b changes, a is still the legacy row's value.
      const n3 = await saver.put(l2, checkpoint({ a: 'old-a', b: 'new-b3' }, { a: 1, b: 3 }), meta, { b: 3 });
      expect(valuesOf(await saver.getTuple(n3))).toEqual({ a: 'old-a', b: 'new-b3' });
      expect(valuesOf(await saver.getTuple(at(undefined)))).toEqual({ a: 'old-a', b: 'new-b3' });
      const listed: unknown[] = [];
      for await (const t of saver.list(at(undefined), { limit: 3 })) listed.push(valuesOf(t));
      expect(listed).toEqual([
        { a: 'old-a', b: 'new-b3' },
        { a: 'old-a', b: 'old-b2' },
        { a: 'old-a', b: 'old-b' },
      ]);
      // deleteThread removes both layouts.
      await saver.deleteThread(THREAD);
      for (const table of ['lg_checkpoints', 'lg_channel_values', 'lg_writes']) {
        expect(await rawQuery(db, 'acme', `SELECT * FROM ${table}`, [])).toEqual([]);
      }
    });
  });
