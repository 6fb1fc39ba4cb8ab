import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { FreshDatabase } from './backends.js';

/**
 * Runs one statement straight against a test database, behind orgvault's back (to play an attacker
 * or a careless operator with SQL access). SQLite: its own connection to the file. PostgreSQL: the
 * schema owner, with the org set for row-level security. Parameters are `?` placeholders on both.
 * Returns the number of rows changed.
 */
export async function rawSql(
  db: FreshDatabase,
  orgId: string,
  sql: string,
  params: unknown[],
): Promise<number> {
  return (await run(db, orgId, sql, params)).changes;
}

/**
 * Like rawSql, for a SELECT: the rows as the driver returns them (blobs and bytea as Buffers; JSON
 * columns are text on SQLite and parsed on PostgreSQL).
 */
export async function rawQuery<T = Record<string, unknown>>(
  db: FreshDatabase,
  orgId: string,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  return (await run(db, orgId, sql, params)).rows as T[];
}

async function run(
  db: FreshDatabase,
  orgId: string,
  sql: string,
  params: unknown[],
): Promise<{ changes: number; rows: unknown[] }> {
  const url = db.options.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const conn = new BetterSqlite3(url.slice('sqlite:'.length));
    try {
      const stmt = conn.prepare(sql);
      if (stmt.reader) return { changes: 0, rows: stmt.all(...params) };
      return { changes: stmt.run(...params).changes, rows: [] };
    } finally {
      conn.close();
    }
  }
  const ownerUrl = (db.options as { databaseOwnerUrl?: string }).databaseOwnerUrl ?? url;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    await client.query('BEGIN');
    await client.query("SELECT set_config('orgvault.org_id', $1, true)", [orgId]);
    const res = await client.query(text, params);
    await client.query('COMMIT');
    return { changes: res.rowCount ?? 0, rows: res.rows };
  } finally {
    await client.end();
  }
}
