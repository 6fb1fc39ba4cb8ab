import type { TestBackend } from './backends.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, POSTGRES_URL } from './postgres.js';

/**
 * The conformance suite's PostgreSQL backend: every fresh() is a new schema with its own owner and
 * runtime roles; the vault runs as the runtime role and migrates through the owner URL, exactly as
 * a production deployment would. Null (with a message) when no PostgreSQL URL is configured.
 */
export async function loadPostgresBackend(testMasterKey: () => string): Promise<TestBackend | null> {
  if (!POSTGRES_URL) {
    process.stderr.write(`${POSTGRES_SKIP_REASON}: the conformance suite runs on the other backends only\n`);
    return null;
  }
  return {
    name: 'postgres',
    concurrentTransactions: true,
    async fresh() {
      const db = await freshPostgresDatabase(testMasterKey());
      return { options: db.options, dispose: () => db.dispose() };
    },
  };
}
