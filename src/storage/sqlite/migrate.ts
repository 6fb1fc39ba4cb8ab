import type { Database } from 'better-sqlite3';
import { type Migration, SQLITE_MIGRATIONS } from './migrations.js';

/**
 * Applies every migration not yet recorded, each in its own IMMEDIATE transaction with its record,
 * so two processes opening one database at once cannot both apply the same version.
 * Returns the versions applied by this call.
 */
export function applySqliteMigrations(
  db: Database,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, string]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (isApplied.get(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Re-checked under the write lock: another process may have applied it meanwhile.
      if (!isApplied.get(m.version)) {
        db.exec(m.sql);
        record.run(m.version, m.name, new Date().toISOString());
        applied.push(m.version);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return applied;
}
