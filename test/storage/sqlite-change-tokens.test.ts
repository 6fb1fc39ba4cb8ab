import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { AUTH_SCOPE, orgScope } from '../../src/storage/storage.js';

/**
 * The change tokens are read once a request (key verification and the module-list cache rely on
 * them): they must move on every commit of another process, however it was made, and stay put
 * while nothing is committed.
 */
describe('SQLite change tokens', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgvault-tokens-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    return { path, storage: SqliteStorage.open({ path, warn: () => {} }) };
  };

  it('stay put while nothing is committed, and move on each commit of another connection', async () => {
    const { path, storage } = open();
    try {
      const first = storage.changeTokens();
      expect(storage.changeTokens()).toEqual(first);
      // Another process as the CLI is one: its own connection, any statement, committed.
      const other = new BetterSqlite3(path);
      try {
        let previous = first;
        for (let i = 0; i < 5; i++) {
          other.exec(`INSERT INTO organizations (org_id, name, created_at) VALUES ('o${i}', 'n', 'now')`);
          const now = storage.changeTokens();
          expect(now.data).not.toBe(previous.data);
          expect(now.auth).not.toBe(previous.auth);
          expect(storage.changeTokens()).toEqual(now);
          previous = now;
        }
        // A checkpoint of the other connection (the WAL restarting under it) loses no commit.
        other.pragma('wal_checkpoint(TRUNCATE)');
        other.exec(`INSERT INTO organizations (org_id, name, created_at) VALUES ('after', 'n', 'now')`);
        expect(storage.changeTokens().auth).not.toBe(previous.auth);
      } finally {
        other.close();
      }
    } finally {
      await storage.close();
    }
  });

  it('a commit of this storage moves the data token, and the auth token only when it wrote keys or orgs', async () => {
    const { storage } = open();
    try {
      const before = storage.changeTokens();
      await storage.transaction(orgScope('default'), async (tx) => {
        await tx.modules.listModules('default', {});
      });
      const afterRead = storage.changeTokens();
      expect(afterRead.data).not.toBe(before.data);
      expect(afterRead.auth).toBe(before.auth);
      await storage.transaction(AUTH_SCOPE, async (tx) => {
        await tx.orgs.insertOrg({
          orgId: 'acme',
          name: 'Acme',
          plan: null,
          createdAt: new Date().toISOString(),
        });
      });
      expect(storage.changeTokens().auth).not.toBe(afterRead.auth);
    } finally {
      await storage.close();
    }
  });
});
