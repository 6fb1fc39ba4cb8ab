import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySqliteMigrations } from '../../src/storage/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';

const quiet = { warn: () => {} };

function snapshot(path: string) {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return {
      schema: db
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .all(),
      migrations: db
        .prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
        .all(),
      modules: db.prepare('SELECT * FROM modules ORDER BY org_id, module_id').all(),
      credentials: db.prepare('SELECT * FROM credentials ORDER BY org_id, module_id').all(),
      orgs: db.prepare('SELECT * FROM organizations ORDER BY org_id').all(),
    };
  } finally {
    db.close();
  }
}

describe('SQLite migrations', () => {
  let fresh: FreshDatabase;
  let path: string;
  beforeEach(async () => {
    fresh = await sqliteBackend.fresh();
    path = fresh.options.databaseUrl.slice('sqlite:'.length);
  });
  afterEach(async () => fresh.dispose());

  it('opening an existing database again changes nothing', async () => {
    const v = await openVault({ ...fresh.options, ...quiet });
    await v.system.createOrg('acme');
    await v.org('acme').modules.install(manifest(WEATHER));
    await v.org('acme').credentials.store(WEATHER, { api_key: 'kept-across-opens' });
    await v.close();
    const before = snapshot(path);
    expect(before.migrations.map((m) => (m as { version: number }).version)).toEqual(
      SQLITE_MIGRATIONS.map((m) => m.version),
    );
    for (let i = 0; i < 2; i++) {
      const again = await openVault({ ...fresh.options, ...quiet });
      expect(await again.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'kept-across-opens' });
      await again.close();
    }
    expect(snapshot(path)).toEqual(before);
  });

  it('a database at an older version is brought forward, keeping its data', () => {
    const db = new BetterSqlite3(path);
    const first = SQLITE_MIGRATIONS.filter((m) => m.version === 1);
    expect(applySqliteMigrations(db, first)).toEqual([1]);
    db.prepare(
      "INSERT INTO organizations (org_id, name, plan, created_at) VALUES ('old', 'Old', NULL, 'x')",
    ).run();
    const next = {
      version: 99,
      name: 'test: add a column',
      sql: 'ALTER TABLE organizations ADD COLUMN region TEXT',
    };
    expect(applySqliteMigrations(db, [...first, next])).toEqual([99]);
    expect(applySqliteMigrations(db, [...first, next])).toEqual([]);
    expect(db.prepare("SELECT name, region FROM organizations WHERE org_id = 'old'").get()).toEqual({
      name: 'Old',
      region: null,
    });
    db.close();
  });

  it('migration 8 rebuilds lg_checkpoints as a rowid table, keeping every checkpoint row (homes NULL: the old layout)', () => {
    const db = new BetterSqlite3(path);
    db.pragma('foreign_keys = ON');
    applySqliteMigrations(
      db,
      SQLITE_MIGRATIONS.filter((m) => m.version < 8),
    );
    db.prepare(
      "INSERT INTO organizations (org_id, name, plan, created_at) VALUES ('old', 'Old', NULL, 'x')",
    ).run();
    const insert = db.prepare(
      `INSERT INTO lg_checkpoints (org_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, key_version, nonce, sealed, created_at)
       VALUES ('old', ?, '', ?, ?, 1, ?, ?, 'at')`,
    );
    for (let i = 0; i < 300; i++) {
      insert.run(
        `t${i % 3}`,
        `c${String(i).padStart(4, '0')}`,
        i === 0 ? null : `c${i - 1}`,
        Buffer.alloc(12, i),
        Buffer.alloc(500, i),
      );
    }
    const before = db.prepare('SELECT * FROM lg_checkpoints ORDER BY thread_id, checkpoint_id').all();
    expect(applySqliteMigrations(db)).toEqual([8]);
    const after = db.prepare('SELECT * FROM lg_checkpoints ORDER BY thread_id, checkpoint_id').all();
    expect(after).toEqual(before.map((row) => ({ ...(row as object), channel_homes: null })));
    const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'lg_checkpoints'").get() as {
      sql: string;
    };
    expect(ddl.sql).not.toMatch(/WITHOUT ROWID/);
    expect(ddl.sql).toMatch(/REFERENCES organizations\(org_id\) ON DELETE CASCADE/);
    // The key is still unique, and deleting the org still takes its checkpoints.
    expect(() => insert.run('t0', 'c0000', null, Buffer.alloc(12), Buffer.alloc(1))).toThrow(/UNIQUE/);
    db.prepare("DELETE FROM organizations WHERE org_id = 'old'").run();
    expect(db.prepare('SELECT count(*) AS n FROM lg_checkpoints').get()).toEqual({ n: 0 });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('a failing migration leaves the database at the previous version', () => {
    const db = new BetterSqlite3(path);
    applySqliteMigrations(db);
    const broken = {
      version: 100,
      name: 'broken',
      sql: 'CREATE TABLE half (a INT); SELECT * FROM no_such_table;',
    };
    expect(() => applySqliteMigrations(db, [...SQLITE_MIGRATIONS, broken])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    const latest = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: latest });
    db.close();
  });

  it('every SQL statement of the stores is parameterised (only fixed fragments are interpolated)', () => {
    const dir = join(import.meta.dirname, '../../src/storage/sql');
    const allowed = new Set([
      'COLUMNS',
      'ORDER',
      'UNHEALTHY',
      'FIND_TEXT',
      'CHECKPOINT_BRANCH',
      'WRITES_BRANCH',
      'NEWEST',
    ]);
    let checked = 0;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      // Template literals that hold SQL (a keyword in them); other strings (messages) are not queries.
      const sqlTemplates = [...text.matchAll(/`[^`]*`/g)]
        .map((m) => m[0])
        .filter((t) => /\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b/.test(t));
      checked += sqlTemplates.length;
      for (const t of sqlTemplates) {
        for (const m of t.matchAll(/\$\{([^}]*)\}/g)) {
          expect(allowed.has(m[1] as string) ? 'fixed fragment' : `${file}: \${${m[1]}}`).toBe(
            'fixed fragment',
          );
        }
      }
    }
    // The scan itself must have found the adapter's statements, or it proves nothing.
    expect(checked).toBeGreaterThan(10);
  });
});
