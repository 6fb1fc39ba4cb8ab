import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * PostgreSQL for tests. ORGVAULT_TEST_POSTGRES_URL is an admin URL (CI: the `postgres` superuser over
 * 127.0.0.1 trust auth); it is used only to create and drop, per test, a schema and two roles with
 * unique names: an owner that runs migrations and a runtime role that is neither owner, superuser nor
 * BYPASSRLS. orgvault itself never connects as the admin.
 */
export const POSTGRES_URL = process.env.ORGVAULT_TEST_POSTGRES_URL?.trim() || undefined;

export const POSTGRES_SKIP_REASON =
  'PostgreSQL tests SKIPPED: ORGVAULT_TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)';

let admin: pg.Pool | undefined;

/** One small admin pool per test process; idle connections close so the worker can exit. */
export function adminPool(): pg.Pool {
  if (!POSTGRES_URL) throw new Error(POSTGRES_SKIP_REASON);
  admin ??= new pg.Pool({
    connectionString: POSTGRES_URL,
    max: 2,
    idleTimeoutMillis: 500,
    allowExitOnIdle: true,
    // Only creates and drops throw-away schemas and roles: no need to wait for WAL flushes.
    options: '-c synchronous_commit=off',
  });
  return admin;
}

export interface IsolatedSchema {
  schema: string;
  ownerRole: string;
  runtimeRole: string;
  /** Connects as the owner, search_path = the schema. */
  ownerUrl: string;
  /** Connects as the runtime role, search_path = the schema. */
  runtimeUrl: string;
  dispose(): Promise<void>;
}

/** Extra attributes for the runtime role, to build the misconfigurations the start-up check refuses. */
export interface IsolatedSchemaOptions {
  runtimeAttributes?: string;
}

function urlAs(role: string): string {
  const url = new URL(POSTGRES_URL ?? '');
  url.username = role;
  url.password = '';
  return url.toString();
}

/** A brand-new schema and two brand-new roles; dispose drops them all. */
export async function createIsolatedSchema(options: IsolatedSchemaOptions = {}): Promise<IsolatedSchema> {
  const id = `ovt_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const schema = id;
  const ownerRole = `${id}_owner`;
  const runtimeRole = `${id}_rt`;
  const q = pg.escapeIdentifier;
  const db = adminPool();
  const attrs = options.runtimeAttributes ?? 'NOSUPERUSER NOBYPASSRLS';
  // Identifiers are generated here (hex and a fixed prefix), never taken from input. One round trip,
  // one commit. Test schemas are thrown away: no role waits for the WAL flush of its commits.
  await db.query(`
    CREATE ROLE ${q(ownerRole)} LOGIN NOSUPERUSER NOBYPASSRLS;
    CREATE ROLE ${q(runtimeRole)} LOGIN ${attrs};
    CREATE SCHEMA ${q(schema)} AUTHORIZATION ${q(ownerRole)};
    ALTER ROLE ${q(ownerRole)} SET search_path = ${q(schema)};
    ALTER ROLE ${q(runtimeRole)} SET search_path = ${q(schema)};
    ALTER ROLE ${q(ownerRole)} SET synchronous_commit = off;
    ALTER ROLE ${q(runtimeRole)} SET synchronous_commit = off;
  `);
  return {
    schema,
    ownerRole,
    runtimeRole,
    ownerUrl: urlAs(ownerRole),
    runtimeUrl: urlAs(runtimeRole),
    async dispose() {
      // Sessions left open by a failed test would keep the roles alive.
      await db.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1::text[])',
        [[ownerRole, runtimeRole]],
      );
      await db.query(`
        DROP SCHEMA IF EXISTS ${q(schema)} CASCADE;
        DROP OWNED BY ${q(ownerRole)}, ${q(runtimeRole)} CASCADE;
        DROP ROLE IF EXISTS ${q(runtimeRole)};
        DROP ROLE IF EXISTS ${q(ownerRole)};
      `);
    },
  };
}

/** A vault's worth of PostgreSQL for one test file: a fresh schema, a data dir, a master key. */
export interface PostgresDatabase {
  schema: IsolatedSchema;
  /** For openVault: runtime URL, owner URL (migrations), data dir and master key. */
  options: { databaseUrl: string; databaseOwnerUrl: string; dataDir: string; masterKey: string };
  /** The same as ORGVAULT_* variables, for the CLI or a server in a child process. */
  env: Record<string, string>;
  /** Drops the schema and its roles and removes the data dir. */
  dispose(): Promise<void>;
}

/** The set-up every PostgreSQL test shares (the conformance backend's fresh() included). */
export async function freshPostgresDatabase(
  masterKey = randomBytes(32).toString('base64'),
): Promise<PostgresDatabase> {
  const schema = await createIsolatedSchema();
  const dataDir = mkdtempSync(join(tmpdir(), 'orgvault-pgtest-'));
  const options = { databaseUrl: schema.runtimeUrl, databaseOwnerUrl: schema.ownerUrl, dataDir, masterKey };
  return {
    schema,
    options,
    env: {
      ORGVAULT_DATABASE_URL: options.databaseUrl,
      ORGVAULT_DATABASE_OWNER_URL: options.databaseOwnerUrl,
      ORGVAULT_DATA_DIR: dataDir,
      ORGVAULT_MASTER_KEY: masterKey,
    },
    async dispose() {
      rmSync(dataDir, { recursive: true, force: true });
      await schema.dispose();
    },
  };
}
