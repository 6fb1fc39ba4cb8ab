import { defineConfig } from 'vitest/config';

/** LangGraph's validation suite calls describe/it as globals (its CLI, broken in 1.1.1, would set them). */
const GLOBALS_SUITES = ['test/langgraph/checkpoint-validation.test.ts'];

const shared = {
  globalSetup: ['test/support/postgres-notice.ts'],
  // Generous: CLI tests spawn processes and PostgreSQL tests create schemas; on a loaded 2-core
  // machine a slow test must not fail for time alone (a hang still fails, after 2 minutes).
  testTimeout: 120_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'orgvault', include: ['test/**/*.test.ts'], exclude: GLOBALS_SUITES } },
      { test: { ...shared, name: 'langgraph-validation', include: GLOBALS_SUITES, globals: true } },
    ],
  },
});
