import { VaultError } from '../errors.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './types.js';

/** Picks the backend from the database URL: `sqlite:<path>` (embedded default) or `postgres://...`. */
export async function openStorage(
  databaseUrl: string,
  options: { databaseOwnerUrl?: string | undefined } = {},
): Promise<Storage> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path === '') throw new VaultError('CONFIG_INVALID', 'sqlite: URL needs a file path');
    return SqliteStorage.open({ path });
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Loaded on demand so that SQLite users never load pg.
    const { PostgresStorage } = await import('./postgres/postgres-storage.js');
    return PostgresStorage.open({ url: databaseUrl, ownerUrl: options.databaseOwnerUrl });
  }
  throw new VaultError('CONFIG_INVALID', 'ORGVAULT_DATABASE_URL must start with sqlite: or postgres://');
}
