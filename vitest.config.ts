import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/postgres-notice.ts'],
    // Generous: CLI tests spawn processes and PostgreSQL tests create schemas; on a loaded 2-core
    // machine a slow test must not fail for time alone (a hang still fails, after 2 minutes).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
