import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throw-away schema with an owner and a runtime role (unique names), as a deployment would have,
 * created through an admin URL (ORGVAULT_BENCH_POSTGRES_URL, else ORGVAULT_TEST_POSTGRES_URL, else
 * the local superuser over 127.0.0.1). Dropped again by dispose().
 */
export interface BenchSchema {
  ownerUrl: string;
  runtimeUrl: string;
  runtimeRole: string;
  /** The schema both roles work in (search_path). */
  schema: string;
  /** The administrator URL the schema was made with (LangGraph's PostgresSaver floor creates its own schema). */
  adminUrl: string;
  dispose(): Promise<void>;
}

export async function createBenchSchema(): Promise<BenchSchema> {
  const adminUrl =
    process.env.ORGVAULT_BENCH_POSTGRES_URL ??
    process.env.ORGVAULT_TEST_POSTGRES_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const id = `ovbench_${randomBytes(4).toString('hex')}`;
  const owner = `${id}_owner`;
  const runtime = `${id}_rt`;
  const q = pg.escapeIdentifier;
  await admin.query(`CREATE ROLE ${q(owner)} LOGIN NOSUPERUSER NOBYPASSRLS`);
  await admin.query(`CREATE ROLE ${q(runtime)} LOGIN NOSUPERUSER NOBYPASSRLS`);
  await admin.query(`CREATE SCHEMA ${q(id)} AUTHORIZATION ${q(owner)}`);
  await admin.query(`ALTER ROLE ${q(owner)} SET search_path = ${q(id)}`);
  await admin.query(`ALTER ROLE ${q(runtime)} SET search_path = ${q(id)}`);
  const urlAs = (role: string) => {
    const u = new URL(adminUrl);
    u.username = role;
    u.password = '';
    return u.toString();
  };
  return {
    ownerUrl: urlAs(owner),
    runtimeUrl: urlAs(runtime),
    runtimeRole: runtime,
    schema: id,
    adminUrl,
    async dispose() {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1::text[])',
        [[owner, runtime]],
      );
      await admin.query(`DROP SCHEMA IF EXISTS ${q(id)} CASCADE`);
      await admin.query(`DROP OWNED BY ${q(owner)}, ${q(runtime)} CASCADE`);
      await admin.query(`DROP ROLE IF EXISTS ${q(runtime)}`);
      await admin.query(`DROP ROLE IF EXISTS ${q(owner)}`);
      await admin.end();
    },
  };
}
