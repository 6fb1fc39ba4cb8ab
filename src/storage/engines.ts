import { VaultError } from '../errors.js';

/**
 * What only differs by engine outside the stores: which engine a database URL names, what an
 * engine's own errors mean to a person, and what `orgvault doctor` checks. One place reads the URL
 * scheme; callers (open-storage, the CLI) ask here instead of sniffing it.
 */
export type StorageEngine = 'sqlite' | 'postgres';

export function engineOf(databaseUrl: string): StorageEngine {
  if (databaseUrl.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgres';
  throw new VaultError('CONFIG_INVALID', 'ORGVAULT_DATABASE_URL must start with sqlite: or postgres://');
}

/** One line for a person about an engine's own error (SQLite's SQLITE_* codes, a refused connection); null otherwise. */
export function describeStorageError(err: unknown): string | null {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return null;
  if (err.code.startsWith('SQLITE_')) return `database error (${err.code}): ${err.message}`;
  if (err.code === 'ECONNREFUSED') return `cannot connect: ${err.message}`;
  // PostgreSQL's own codes for the ordinary set-up mistakes: its message names the database or role.
  if (err.code === '3D000') return `${err.message} (create it, or fix ORGVAULT_DATABASE_URL)`;
  if (err.code === '28P01' || err.code === '28000') return `cannot log in to PostgreSQL: ${err.message}`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return `cannot resolve the database host (${(err as { hostname?: string }).hostname ?? 'unknown'}): check ORGVAULT_DATABASE_URL`;
  }
  return null;
}

export interface StorageFinding {
  ok: boolean;
  check: string;
  detail: string;
}

/**
 * The set-up checks of `orgvault doctor`: on PostgreSQL the start-up checks (schema version, the
 * runtime role, row-level security) on a plain connection, so they print even when the server
 * would refuse to start; on SQLite there is nothing to check.
 */
export async function diagnoseStorage(
  databaseUrl: string,
  ownerUrl: string | undefined,
): Promise<StorageFinding[]> {
  if (engineOf(databaseUrl) === 'sqlite') {
    return [
      {
        ok: true,
        check: 'row-level security',
        detail:
          'not applicable on SQLite (embedded, one process); isolation rests on the org filter of every query',
      },
    ];
  }
  const { diagnosePostgres } = await import('./postgres/diagnose.js');
  const findings: StorageFinding[] = await diagnosePostgres(databaseUrl);
  findings.push({
    ok: true,
    check: 'owner URL for migrations',
    detail: ownerUrl
      ? 'ORGVAULT_DATABASE_OWNER_URL is set: migrations run at start'
      : 'ORGVAULT_DATABASE_OWNER_URL is not set: the schema must already be migrated',
  });
  return findings;
}
