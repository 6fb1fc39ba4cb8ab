import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { orgScope } from '../../src/storage/storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { manifest } from '../support/manifests.js';

/**
 * The SQLite writer commits the transactions that queue up in one turn of the event loop together
 * (one BEGIN IMMEDIATE ... COMMIT, a savepoint each). Each still stands alone: a failing one undoes
 * its own writes only, and none is answered before the commit that makes it durable.
 */
/** A transaction that writes a module row, then throws: its write must not survive. */
function doomedWrite(storage: SqliteStorage): Promise<never> {
  return storage.transaction(orgScope('default'), async (tx) => {
    await tx.modules.upsertModule('default', {
      moduleId: 'weather/doomed',
      name: 'doomed',
      category: 'weather',
      platform: 'doomed',
      version: '1.0.0',
      status: 'installed',
      healthStatus: 'unknown',
      manifest: manifest('weather/doomed'),
      now: new Date().toISOString(),
    });
    throw new Error('changed its mind');
  });
}

describe('SQLite write groups', () => {
  const dirs: string[] = [];
  const vaults: Vault[] = [];
  afterEach(async () => {
    for (const v of vaults.splice(0)) await v.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgvault-groups-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const vault = await openVault({
      databaseUrl: `sqlite:${path}`,
      dataDir: dir,
      masterKey: randomBytes(32).toString('base64'),
      warn: () => {},
    });
    vaults.push(vault);
    const storage = internalsOf(vault).storage as SqliteStorage;
    // Counts the writer's commits (the statements go through exec).
    const db = storage.rawConnection;
    const exec = db.exec.bind(db);
    const counts = { commits: 0 };
    db.exec = (sql: string) => {
      if (sql === 'COMMIT') counts.commits += 1;
      return exec(sql);
    };
    return { path, vault, storage, counts };
  };

  it('commits the transactions issued together once, and each is durable when it is answered', async () => {
    const { path, vault, counts } = await open();
    const org = vault.org();
    const ids = Array.from({ length: 8 }, (_, i) => `weather/p${i}`);
    const before = counts.commits;
    // Another connection, as another process: what it sees is what is committed.
    const outside = new BetterSqlite3(path, { readonly: true });
    try {
      const seen = await Promise.all(
        ids.map(async (id) => {
          await org.modules.install(manifest(id));
          return outside.prepare('SELECT count(*) AS n FROM modules WHERE module_id = ?').get(id);
        }),
      );
      expect(seen).toEqual(ids.map(() => ({ n: 1 })));
    } finally {
      outside.close();
    }
    // Eight installs in one turn of the event loop: one commit, not eight.
    expect(counts.commits - before).toBe(1);
    expect((await org.modules.list()).map((m) => m.moduleId).sort()).toEqual([...ids].sort());
    expect((await org.audit.verify()).ok).toBe(true);
  });

  it('a burst commits in groups of at most 32', async () => {
    const { vault, counts } = await open();
    const org = vault.org();
    const before = counts.commits;
    await Promise.all(Array.from({ length: 40 }, (_, i) => org.modules.install(manifest(`weather/b${i}`))));
    expect(counts.commits - before).toBe(2);
    expect(await org.modules.list()).toHaveLength(40);
  });

  it('a transaction that fails in a group undoes its own writes only', async () => {
    const { vault, storage, counts } = await open();
    const org = vault.org();
    const before = counts.commits;
    const failing = doomedWrite(storage);
    const results = await Promise.allSettled([
      org.modules.install(manifest('weather/first')),
      failing,
      org.modules.install(manifest('weather/last')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    expect(counts.commits - before).toBe(1);
    expect(await org.modules.get('weather/doomed')).toBeNull();
    expect((await org.modules.list()).map((m) => m.moduleId)).toEqual(['weather/first', 'weather/last']);
    // The chain has the two installs, one after the other.
    const verified = await org.audit.verify();
    expect(verified.ok).toBe(true);
  });

  it('a first transaction that fails leaves those queued behind it to commit', async () => {
    const { vault, storage } = await open();
    const org = vault.org();
    const results = await Promise.allSettled([
      doomedWrite(storage),
      org.modules.install(manifest('weather/after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((await org.modules.list()).map((m) => m.moduleId)).toEqual(['weather/after']);
    expect((await org.audit.verify()).ok).toBe(true);
  });

  it('a failed transaction is answered once its group has ended: the write lock is free by then', async () => {
    const { path, storage } = await open();
    await expect(
      storage.transaction(orgScope('default'), async () => {
        throw new Error('nothing to do');
      }),
    ).rejects.toThrow('nothing to do');
    // Another connection (a test's raw SQL, synchronous on this very thread) that does not wait.
    const other = new BetterSqlite3(path, { timeout: 0 });
    try {
      other.exec('BEGIN IMMEDIATE; COMMIT');
    } finally {
      other.close();
    }
  });

  it('a failed commit answers every member of the group with the error, and none of their writes stays', async () => {
    const { vault, storage } = await open();
    const org = vault.org();
    const db = storage.rawConnection;
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (sql === 'COMMIT') throw new Error('disk on fire');
      return exec(sql);
    };
    const results = await Promise.allSettled([
      org.modules.install(manifest('weather/a')),
      org.modules.install(manifest('weather/b')),
    ]);
    db.exec = exec;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await org.modules.list()).toEqual([]);
    // The writer is usable again afterwards.
    await org.modules.install(manifest('weather/c'));
    expect((await org.modules.list()).map((m) => m.moduleId)).toEqual(['weather/c']);
  });

  it('a group SQLite rolled back on its own fails its members, and the next transaction starts afresh', async () => {
    const { vault, storage } = await open();
    const org = vault.org();
    // What SQLite does on an I/O error or a full disk: the whole transaction is rolled back. This
    // member goes on as if nothing happened (a callback that caught the error).
    const lost = storage.transaction(orgScope('default'), async (tx) => {
      await tx.modules.findModule('default', 'weather/none');
      storage.rawConnection.exec('ROLLBACK');
      return 'done';
    });
    const next = org.modules.install(manifest('weather/after'));
    const [first, second] = await Promise.allSettled([lost, next]);
    expect(first.status).toBe('rejected');
    // Told it succeeded, and it did: committed in a transaction of its own (not by a RELEASE of a
    // SAVEPOINT outside any transaction, then reported as failed by the group's COMMIT).
    expect(second.status).toBe('fulfilled');
    expect((await org.modules.list()).map((m) => m.moduleId)).toEqual(['weather/after']);
    expect(storage.rawConnection.inTransaction).toBe(false);
  });
});
