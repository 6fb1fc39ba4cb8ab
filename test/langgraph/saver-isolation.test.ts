import { readFileSync } from 'node:fs';
import type { RunnableConfig } from '@langchain/core/runnables';
import { type Checkpoint, emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrgvaultSaver } from '../../src/langgraph/index.js';
import { openVault, type Vault } from '../../src/vault.js';
import { type FreshDatabase, freshVault, selectedBackends } from '../support/backends.js';
import { shareDataKey } from '../support/org-data-keys.js';
import { rawQuery, rawSql } from '../support/raw-sql.js';

const THREAD = 'thread-1';
const meta = { source: 'input' as const, step: -1, parents: {} };

function checkpointWith(values: Record<string, unknown>): Checkpoint {
  return {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: values,
    channel_versions: Object.fromEntries(Object.keys(values).map((k) => [k, 1])),
  };
}

const root = (thread = THREAD, extra: Record<string, unknown> = {}): RunnableConfig => ({
  configurable: { thread_id: thread, checkpoint_ns: '', ...extra },
});

async function putOne(saver: OrgvaultSaver, values: Record<string, unknown>, thread = THREAD) {
  const checkpoint = checkpointWith(values);
  const versions = checkpoint.channel_versions;
  return saver.put(root(thread), checkpoint, meta, versions);
}

async function listIds(
  saver: OrgvaultSaver,
  config: RunnableConfig = { configurable: {} },
): Promise<string[]> {
  const ids: string[] = [];
  for await (const t of saver.list(config)) ids.push(t.checkpoint.id);
  return ids;
}

const CKPT_COLUMNS =
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_homes, key_version, nonce, sealed, created_at';

/** Copies a stored checkpoint row by SQL to another org and/or thread (each side under its own org). */
async function copyCheckpointRow(db: FreshDatabase, from: string, to: string, toThread: string, id: string) {
  const [row] = await rawQuery<Record<string, unknown>>(
    db,
    from,
    `SELECT ${CKPT_COLUMNS} FROM lg_checkpoints WHERE org_id = ? AND checkpoint_id = ?`,
    [from, id],
  );
  if (row === undefined) throw new Error(`no checkpoint ${id} in ${from}`);
  const changed = await rawSql(
    db,
    to,
    `INSERT INTO lg_checkpoints (org_id, ${CKPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      to,
      toThread,
      row.checkpoint_ns,
      id,
      row.parent_checkpoint_id,
      row.channel_homes,
      row.key_version,
      row.nonce,
      row.sealed,
      row.created_at,
    ],
  );
  expect(changed).toBe(1);
}

for (const backend of await selectedBackends())
  describe(`OrgvaultSaver isolation on ${backend.name}`, () => {
    let vault: Vault;
    let db: FreshDatabase;
    let close: () => Promise<void>;
    let acme: OrgvaultSaver;
    let globex: OrgvaultSaver;

    beforeEach(async () => {
      ({ vault, db, close } = await freshVault(backend));
      await vault.system.createOrg('acme', { name: 'Acme' });
      await vault.system.createOrg('globex', { name: 'Globex' });
      acme = new OrgvaultSaver(vault.org('acme'));
      globex = new OrgvaultSaver(vault.org('globex'));
    });
    afterEach(async () => {
      await close();
    });

    it('the same thread_id in two orgs never collides: puts, gets and lists stay in their org', async () => {
      const a = await putOne(acme, { who: 'acme' });
      const g = await putOne(globex, { who: 'globex' });
      expect((await acme.getTuple(root()))?.checkpoint.channel_values).toEqual({ who: 'acme' });
      expect((await globex.getTuple(root()))?.checkpoint.channel_values).toEqual({ who: 'globex' });
      expect(await listIds(acme)).toEqual([a.configurable?.checkpoint_id]);
      expect(await listIds(globex)).toEqual([g.configurable?.checkpoint_id]);
      // Another org's checkpoint id, asked for by id, is not there.
      expect(await acme.getTuple(g)).toBeUndefined();
    });

    it('pending writes stay with their org', async () => {
      const a = await putOne(acme, { n: 1 });
      const g = await putOne(globex, { n: 1 });
      await acme.putWrites(a, [['n', 'acme-write']], 'task-a');
      await globex.putWrites({ configurable: { ...a.configurable } }, [['n', 'stray']], 'task-g');
      expect((await acme.getTuple(a))?.pendingWrites).toEqual([['task-a', 'n', 'acme-write']]);
      expect((await globex.getTuple(g))?.pendingWrites).toEqual([]);
    });

    it('deleteThread deletes in its own org only', async () => {
      await putOne(acme, { n: 1 });
      const g = await putOne(globex, { n: 2 });
      await acme.deleteThread(THREAD);
      expect(await acme.getTuple(root())).toBeUndefined();
      expect(await listIds(acme)).toEqual([]);
      expect((await globex.getTuple(root()))?.config).toEqual(g);
    });

    it('a config whose configurable.org_id names another org is refused; its own org is accepted', async () => {
      const a = await putOne(acme, { n: 1 });
      const other = root(THREAD, { org_id: 'globex' });
      const refused = /bound to org "acme" but the config names org "globex"/;
      await expect(acme.getTuple(other)).rejects.toThrow(refused);
      await expect(listIds(acme, other)).rejects.toThrow(refused);
      await expect(acme.put(other, checkpointWith({}), meta, {})).rejects.toThrow(refused);
      await expect(
        acme.putWrites({ configurable: { ...a.configurable, org_id: 'globex' } }, [], 't'),
      ).rejects.toThrow(refused);
      expect((await acme.getTuple(root(THREAD, { org_id: 'acme' })))?.config).toEqual(a);
    });

    it('a thread_id that is not a conversation id is refused', async () => {
      await expect(putOne(acme, {}, '../other')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('a checkpoint row copied by SQL to another thread of the org does not open', async () => {
      const a = await putOne(acme, { secret: 'x' });
      const id = a.configurable?.checkpoint_id as string;
      await copyCheckpointRow(db, 'acme', 'acme', 'thread-2', id);
      await expect(acme.getTuple(root('thread-2'))).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    });

    it('a checkpoint row copied by SQL to another org does not open, even when both orgs share a data key', async () => {
      await putOne(globex, { warm: 'key' }); // gives globex a data key to overwrite
      const a = await putOne(acme, { secret: 'x' });
      await vault.close(); // the reopened vault must not have globex's old key cached
      await shareDataKey(db, 'acme', 'globex');
      const reopened = await openVault({ ...db.options, warn: () => {} });
      close = async () => {
        await reopened.close();
        await db.dispose();
      };
      await copyCheckpointRow(db, 'acme', 'globex', 'thread-9', a.configurable?.checkpoint_id as string);
      const saver = new OrgvaultSaver(reopened.org('globex'));
      await expect(saver.getTuple(root('thread-9'))).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    });

    it('destroying the org data keys (crypto-shredding) makes its threads unreadable', async () => {
      await putOne(acme, { secret: 'x' });
      await putOne(globex, { kept: 'y' });
      await vault.close(); // the reopened vault must not have acme's key cached
      expect(await rawSql(db, 'acme', 'DELETE FROM org_keys WHERE org_id = ?', ['acme'])).toBe(1);
      const reopened = await openVault({ ...db.options, warn: () => {} });
      close = async () => {
        await reopened.close();
        await db.dispose();
      };
      await expect(new OrgvaultSaver(reopened.org('acme')).getTuple(root())).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
      expect(
        (await new OrgvaultSaver(reopened.org('globex')).getTuple(root()))?.checkpoint.channel_values,
      ).toEqual({
        kept: 'y',
      });
    });

    it('no channel value, metadata or write is stored in plaintext', async () => {
      const marker = 'PLAINTEXT-MARKER-7f3a';
      const checkpoint = checkpointWith({ messages: [`${marker}-value`] });
      const config = await acme.put(root(), checkpoint, { ...meta, note: `${marker}-meta` } as typeof meta, {
        messages: 1,
      });
      await acme.putWrites(config, [['messages', `${marker}-write`]], 'task-1');
      expect((await acme.getTuple(config))?.pendingWrites).toEqual([
        ['task-1', 'messages', `${marker}-write`],
      ]);
      const stored: unknown[] = [];
      // One row for the put (checkpoint, metadata and the value it introduced), one for the write;
      // lg_channel_values holds only values written before migration 8.
      for (const [table, count] of [
        ['lg_checkpoints', 1],
        ['lg_channel_values', 0],
        ['lg_writes', 1],
      ] as const) {
        const rows = await rawQuery(db, 'acme', `SELECT * FROM ${table} WHERE org_id = ?`, ['acme']);
        expect(rows.length).toBe(count);
        stored.push(...rows);
      }
      const dump = JSON.stringify(stored, (_k, v) =>
        v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v,
      );
      expect(dump).toContain('thread-1');
      expect(dump).not.toContain(marker);
      if (db.options.databaseUrl.startsWith('sqlite:')) {
        const file = db.options.databaseUrl.slice('sqlite:'.length);
        for (const path of [file, `${file}-wal`]) {
          expect(readFileSync(path, { flag: 'r' }).includes(marker)).toBe(false);
        }
      }
    });
  });
