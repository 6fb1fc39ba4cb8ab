import Database from 'better-sqlite3';
import { ImportError } from './import-error.js';

/** Before NEXUS added org_id (single tenant) or after. Detected per file, from its columns. */
export type NexusGeneration = 'v1-single-tenant' | 'v2-org-scoped';

/**
 * Opens a NEXUS file for reading only: `readonly` so SQLite refuses any write, `fileMustExist` so a
 * typo in a path is an error rather than a new empty database.
 */
export function openLegacyDb(path: string, what: string): Database.Database {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportError(`cannot open ${what} "${path}": ${reason}`);
  }
}

/** Column names of a table, or null when the table does not exist. */
export function tableColumns(db: Database.Database, table: string): Set<string> | null {
  const rows = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[];
  return rows.length === 0 ? null : new Set(rows.map((r) => r.name));
}

/** Checks that a NEXUS table has the columns the reader needs, and tells which generation wrote it. */
export function detectGeneration(
  db: Database.Database,
  table: string,
  required: readonly string[],
  what: string,
): NexusGeneration {
  let columns: Set<string> | null;
  try {
    columns = tableColumns(db, table);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportError(`${what} is not a readable SQLite database: ${reason}`);
  }
  if (columns === null) throw new ImportError(`${what} has no "${table}" table: is it a NEXUS file?`);
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new ImportError(`${what}: table "${table}" lacks column(s) ${missing.join(', ')}`);
  }
  return columns.has('org_id') ? 'v2-org-scoped' : 'v1-single-tenant';
}
