/**
 * vitest globalSetup: says once, at the top of `npm test`, whether the PostgreSQL half of the suite
 * runs or is skipped, so a green run on SQLite alone is never mistaken for a run on both engines.
 */
export default function setup(): void {
  const url = process.env.ORGVAULT_TEST_POSTGRES_URL?.trim();
  const backends = process.env.ORGVAULT_TEST_BACKENDS || (url ? 'sqlite,postgres' : 'sqlite');
  if (url) {
    const where = new URL(url);
    process.stdout.write(
      `\norgvault: PostgreSQL tests ON (${where.hostname}:${where.port || 5432}); conformance backends: ${backends}\n\n`,
    );
  } else {
    process.stdout.write(
      '\norgvault: PostgreSQL tests SKIPPED: ORGVAULT_TEST_POSTGRES_URL is not set ' +
        `(e.g. postgres://postgres@127.0.0.1:5432/postgres); conformance backends: ${backends}\n\n`,
    );
  }
}
