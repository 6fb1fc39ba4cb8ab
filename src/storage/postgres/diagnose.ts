import pg from 'pg';
import { schemaVersion } from './migrate.js';
import { LATEST_PG_VERSION } from './migrations.js';
import { checkRowLevelSecurity, type RlsFinding } from './rls-check.js';

/**
 * What `orgvault doctor` checks on PostgreSQL: the same checks as the start-up check, on a plain
 * connection as the runtime role, so they can be printed even when the server would refuse to start.
 */
export async function diagnosePostgres(url: string): Promise<RlsFinding[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'orgvault-doctor' });
  await client.connect();
  try {
    const version = await schemaVersion(client);
    const schema: RlsFinding = {
      ok: version >= LATEST_PG_VERSION,
      check: 'schema is migrated',
      detail:
        version >= LATEST_PG_VERSION
          ? `version ${version}`
          : `version ${version}, this build needs ${LATEST_PG_VERSION}: run \`orgvault migrate\` with ORGVAULT_DATABASE_OWNER_URL set`,
    };
    return [schema, ...(await checkRowLevelSecurity(client))];
  } finally {
    await client.end();
  }
}
