import { VaultError } from '../errors.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './types.js';

/** Picks the backend from the database URL: `sqlite:<path>` (embedded default) or `postgres://...`. */
export async function openStorage(databaseUrl: string): Promise<Storage> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path === '') throw new VaultError('CONFIG_INVALID', 'sqlite: URL needs a file path');
    return SqliteStorage.open({ path });
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new VaultError('CONFIG_INVALID', 'the PostgreSQL backend is not part of this build yet');
  }
  throw new VaultError('CONFIG_INVALID', 'ORGVAULT_DATABASE_URL must start with sqlite: or postgres://');
}
