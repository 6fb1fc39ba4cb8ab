import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrivateFile } from '../../src/private-files.js';
import { openVault } from '../../src/vault.js';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

describe('data files are readable by their owner only, whatever the umask', () => {
  let root: string;
  let umask: number;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'orgvault-modes-'));
    // The most permissive umask there is: every mode below comes from orgvault, not from the umask.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  let orgs = 0;
  async function openIn(dataDir: string, warnings: string[] = []) {
    const vault = await openVault({
      databaseUrl: `sqlite:${join(dataDir, 'orgvault.db')}`,
      dataDir,
      warn: (m) => warnings.push(m),
    });
    // A write, so the WAL holds something.
    orgs += 1;
    await vault.system.createOrg(`acme-${orgs}`);
    return vault;
  }

  it('a fresh data dir is 0700; orgvault.db, -wal, -shm and master.key are 0600', async () => {
    const dataDir = join(root, 'nested', 'data');
    const vault = await openIn(dataDir);
    try {
      const db = join(dataDir, 'orgvault.db');
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(existsSync(`${db}-shm`)).toBe(true);
      expect({
        dir: modeOf(dataDir),
        db: modeOf(db),
        wal: modeOf(`${db}-wal`),
        shm: modeOf(`${db}-shm`),
        masterKey: modeOf(join(dataDir, 'master.key')),
      }).toEqual({ dir: '0700', db: '0600', wal: '0600', shm: '0600', masterKey: '0600' });
    } finally {
      await vault.close();
    }
  });

  it("an existing data dir of orgvault's left loose by an older version is tightened, its files too", async () => {
    const dataDir = join(root, 'old');
    const first = await openIn(dataDir);
    await first.close();
    const db = join(dataDir, 'orgvault.db');
    chmodSync(dataDir, 0o755);
    chmodSync(db, 0o644);
    const vault = await openIn(dataDir);
    try {
      expect([modeOf(dataDir), modeOf(db), modeOf(`${db}-wal`), modeOf(`${db}-shm`)]).toEqual([
        '0700',
        '0600',
        '0600',
        '0600',
      ]);
      expect(await vault.system.listOrgs()).toHaveLength(3);
    } finally {
      await vault.close();
    }
  });

  it('an existing empty directory (made by hand with mkdir) is tightened', async () => {
    const dataDir = join(root, 'by-hand');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const vault = await openIn(dataDir);
    try {
      expect(modeOf(dataDir)).toBe('0700');
    } finally {
      await vault.close();
    }
  });

  it("an existing directory that is not orgvault's keeps its mode, with a warning; the files are 0600", async () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'someone-elses.txt'), 'x');
    const warnings: string[] = [];
    const vault = await openIn(shared, warnings);
    try {
      expect(modeOf(shared)).toBe('0755');
      expect(warnings.some((w) => w.includes(`data directory ${shared} is mode 0755, open to others`))).toBe(
        true,
      );
      expect([modeOf(join(shared, 'orgvault.db')), modeOf(join(shared, 'master.key'))]).toEqual([
        '0600',
        '0600',
      ]);
    } finally {
      await vault.close();
    }
  });

  it("SQLite's unix VFS gives the -wal and -shm files the database file's mode", () => {
    const db = join(root, 'plain.db');
    createPrivateFile(db);
    const conn = new BetterSqlite3(db);
    try {
      conn.pragma('journal_mode = WAL');
      conn.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      expect([modeOf(db), modeOf(`${db}-wal`), modeOf(`${db}-shm`)]).toEqual(['0600', '0600', '0600']);
    } finally {
      conn.close();
    }
  });
});
