import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';
import { type CliResult, runOrgvault } from '../support/cli.js';

/** An ordinary mistake is one plain line with exit 1: never "unexpected error", never a stack. */
function expectPlainLine(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/unexpected error/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('orgvault CLI: ordinary mistakes get a message that says what to do', () => {
  let db: FreshDatabase;
  let env: Record<string, string>;
  let taken: Server | undefined;
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
    env = {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: db.options.masterKey,
      ORGVAULT_LOG_LEVEL: 'silent',
    };
  });
  afterEach(async () => {
    await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
    taken = undefined;
    await db.dispose();
  });

  it('serve on a port in use names the address and how to choose another', async () => {
    taken = createServer();
    const server = taken;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const r = await runOrgvault(['serve', '--host', '127.0.0.1', '--port', String(port)], env);
    expectPlainLine(r, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*--port`));
  });

  // Issue 13: a missing PostgreSQL database is an ordinary mistake, not "unexpected error".
  const pgUrl = process.env.ORGVAULT_TEST_POSTGRES_URL?.trim();
  it.skipIf(!pgUrl)('a PostgreSQL database that does not exist is named, with what to do', async () => {
    const missing = new URL(pgUrl as string);
    missing.pathname = `/orgvault_missing_${process.pid}`;
    for (const args of [['migrate'], ['orgs', 'list']]) {
      const r = await runOrgvault(args, { ...env, ORGVAULT_DATABASE_URL: missing.href });
      expectPlainLine(
        r,
        new RegExp(`database "orgvault_missing_${process.pid}" does not exist \\(create it`),
      );
    }
  });

  it("serve on an address that is not this machine's says so", async () => {
    // 203.0.113.0/24 is TEST-NET-3: never an address of this host.
    const r = await runOrgvault(['serve', '--host', '203.0.113.7', '--port', '0'], env);
    expectPlainLine(r, /203\.0\.113\.7:0? ?is not an address of this machine/);
  });

  it('migrate on a new database says which migrations it applied; run again, that nothing was left', async () => {
    const first = await runOrgvault(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^applied migration\(s\) 1, 2, 3, 4.* \(sqlite\); schema is up to date$/m);
    const again = await runOrgvault(['migrate', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, engine: 'sqlite', applied: [] });
    const text = await runOrgvault(['migrate'], env);
    expect(text.stdout).toMatch(/nothing to apply/);
  });

  it('an unreachable Redis at start is one line naming it, without "not limited meanwhile"', async () => {
    const r = await runOrgvault(['serve', '--port', '0'], {
      ...env,
      ORGVAULT_REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^orgvault: cannot reach Redis \(ORGVAULT_REDIS_URL\) at 127\.0\.0\.1:1$/),
    ]);
  });

  const postgres = process.env.ORGVAULT_TEST_POSTGRES_URL;
  it.runIf(postgres !== undefined)(
    'a PostgreSQL database that does not exist is named, with what to do',
    async () => {
      const url = new URL(postgres ?? 'postgres://localhost/');
      url.pathname = '/orgvault_eco_no_such_database';
      const r = await runOrgvault(['migrate'], { ...env, ORGVAULT_DATABASE_URL: url.href });
      expectPlainLine(r, /database "orgvault_eco_no_such_database" does not exist \(create it/);
    },
  );
});
