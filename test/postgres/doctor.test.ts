import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrgvault } from '../support/cli.js';
import {
  freshPostgresDatabase,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type PostgresDatabase,
} from '../support/postgres.js';

/** `orgvault doctor` prints the start-up check and fails (exit 1) exactly when the server would refuse. */
describe.skipIf(!POSTGRES_URL)(
  `orgvault doctor on PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let db: PostgresDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      env = db.env;
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it('fails before migration, passes after `orgvault migrate`, fails again when RLS is not forced', async () => {
      const before = await runOrgvault(['doctor', '--json'], env);
      expect(before.code).toBe(1);
      expect(JSON.parse(before.stdout)).toMatchObject({ ok: false, engine: 'postgres' });

      const migrate = await runOrgvault(['migrate'], env);
      expect(migrate.stderr).toBe('');
      expect(migrate.code).toBe(0);

      const after = await runOrgvault(['doctor'], env);
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('ok    audit_events: RLS enabled and forced');
      expect(after.stdout).toContain('all checks passed');

      const owner = new pg.Client({ connectionString: db.schema.ownerUrl });
      await owner.connect();
      await owner.query('ALTER TABLE credentials NO FORCE ROW LEVEL SECURITY');
      await owner.end();
      const broken = await runOrgvault(['doctor'], env);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/FAIL {2}credentials: .*row-level security is not forced/);
      const serve = await runOrgvault(['modules', 'list', '--org', 'default'], env);
      expect(serve.code).toBe(1);
      expect(serve.stderr).toMatch(/refusing to start: .*credentials|row-level security is not forced/);
    }, 120_000);

    it('on SQLite says row-level security is not applicable', async () => {
      const r = await runOrgvault(['doctor', '--json'], {
        ORGVAULT_DATA_DIR: db.options.dataDir,
        ORGVAULT_MASTER_KEY: env.ORGVAULT_MASTER_KEY ?? '',
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).checks[0].detail).toMatch(/not applicable on SQLite/);
    }, 60_000);
  },
);
