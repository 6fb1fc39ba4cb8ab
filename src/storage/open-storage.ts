import { VaultError } from '../errors.js';
import { engineOf } from './engines.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './storage.js';

/** Picks the backend from the database URL: `sqlite:<path>` (embedded default) or `postgres://...`. */
export async function openStorage(
  databaseUrl: string,
  options: {
    databaseOwnerUrl?: string | undefined;
    warn?: ((message: string) => void) | undefined;
    /** PostgreSQL: false sends every statement unnamed (a transaction-pooling PgBouncer). */
    preparedStatements?: boolean | undefined;
  } = {},
): Promise<Storage> {
  if (engineOf(databaseUrl) === 'sqlite') {
    // sqlite:<path>, sqlite://<path> and sqlite:///<absolute path> all name a file; sqlite::memory: is a
    // private in-memory database (gone on close: for tests and experiments).
    let path = databaseUrl.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new VaultError('CONFIG_INVALID', 'sqlite: URL needs a file path (or :memory:)');
    return SqliteStorage.open({ path, ...(options.warn ? { warn: options.warn } : {}) });
  }
  // Loaded on demand so that SQLite users never load pg.
  const { PostgresStorage } = await import('./postgres/postgres-storage.js');
  return PostgresStorage.open({
    url: databaseUrl,
    ownerUrl: options.databaseOwnerUrl,
    preparedStatements: options.preparedStatements,
  });
}
