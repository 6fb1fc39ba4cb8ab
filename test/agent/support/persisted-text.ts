import pg from 'pg';
import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';
import type { Vault } from '../../../src/vault.js';
import { internalsOf } from '../../../src/vault-internals.js';
import { adminPool } from '../../support/postgres.js';

const REQUIRED = ['checkpoints', 'audit_events', 'modules'];

/**
 * Everything the vault persisted, every row of every table read with raw SQL (nothing an adapter
 * might filter), as one text to search for secrets. On PostgreSQL the test admin reads the test's
 * own schema (row-level security would hide rows from the runtime role).
 */
export async function persistedText(vault: Vault): Promise<string> {
  const storage = internalsOf(vault).storage;
  const tables: Array<[string, unknown[]]> = [];
  if (storage instanceof SqliteStorage) {
    const db = storage.rawConnection;
    const names = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    for (const { name } of names) tables.push([name, db.prepare(`SELECT * FROM "${name}"`).all()]);
  } else if (storage.capabilities.engine === 'postgres') {
    // The test backend names the runtime role <schema>_rt (test/support/postgres.ts).
    const schema = new URL(vault.config.databaseUrl).username.replace(/_rt$/, '');
    const admin = adminPool();
    const names = await admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    for (const { table_name } of names.rows) {
      const q = `SELECT * FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)}`;
      tables.push([table_name, (await admin.query(q)).rows]);
    }
  } else {
    throw new Error(`no raw reader for ${storage.capabilities.engine}`);
  }
  const names = tables.map(([name]) => name);
  for (const required of REQUIRED) {
    if (!names.includes(required)) throw new Error(`table ${required} missing`);
  }
  const checkpoints = tables.find(([name]) => name === 'checkpoints')?.[1] ?? [];
  if (checkpoints.length === 0) throw new Error('no checkpoint rows: nothing was scanned');
  return tables.map(([name, rows]) => `${name}: ${rowsAsText(rows)}`).join('\n');
}

/** Rows as text, blobs decoded too (a secret stored unencrypted in a blob would show). */
function rowsAsText(rows: unknown[]): string {
  return JSON.stringify(rows, (_k, v: unknown) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('latin1')
      : v,
  );
}
