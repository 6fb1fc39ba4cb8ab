import pg from 'pg';
import { VaultError } from '../../errors.js';
import { MIGRATION_LOCK } from './advisory-locks.js';
import { LATEST_PG_VERSION, PG_MIGRATIONS, SHARED_TABLES, TENANT_TABLES } from './migrations.js';

/**
 * Applies every migration not yet recorded, as the OWNER role (tables belong to it), each in its own
 * transaction with its record, then grants the runtime role exactly the DML it needs. Grants are
 * re-issued on every run (idempotent), so a table added by a later migration is covered too.
 * Identifiers cannot be bound parameters; they are quoted with pg's escapeIdentifier.
 * Returns the versions applied by this call.
 */
export async function applyPostgresMigrations(
  owner: pg.ClientBase,
  runtimeRole: string | null,
): Promise<number[]> {
  const applied: number[] = [];
  await owner.query(MIGRATION_LOCK.lock);
  try {
    await owner.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
    );
    const done = new Set(
      (await owner.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of PG_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await owner.query('BEGIN');
      try {
        await owner.query(m.sql);
        await owner.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        await owner.query('COMMIT');
        applied.push(m.version);
      } catch (err) {
        await owner.query('ROLLBACK');
        throw err;
      }
    }
    if (runtimeRole !== null) await grantRuntime(owner, runtimeRole);
  } finally {
    await owner.query(MIGRATION_LOCK.unlock);
  }
  return applied;
}

async function grantRuntime(owner: pg.ClientBase, runtimeRole: string): Promise<void> {
  const me = (await owner.query<{ u: string; s: string }>('SELECT current_user AS u, current_schema() AS s'))
    .rows[0];
  if (!me || me.u === runtimeRole) return; // single-role setups are refused by the start-up check
  const role = pg.escapeIdentifier(runtimeRole);
  const schema = pg.escapeIdentifier(me.s);
  const dml = [...TENANT_TABLES, ...SHARED_TABLES]
    .map((t) => `${schema}.${pg.escapeIdentifier(t)}`)
    .join(', ');
  await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${dml} TO ${role}`);
  await owner.query(`GRANT SELECT ON ${schema}.schema_migrations TO ${role}`);
}

/** The schema version the runtime role sees (0 when nothing was ever migrated). */
export async function schemaVersion(db: pg.ClientBase): Promise<number> {
  try {
    const r = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return r.rows[0]?.v ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return 0; // undefined_table
    throw err;
  }
}

/** Refuses to run against a schema older than this build, naming the fix. */
export async function assertSchemaCurrent(db: pg.ClientBase): Promise<void> {
  const version = await schemaVersion(db);
  if (version < LATEST_PG_VERSION) {
    throw new VaultError(
      'CONFIG_INVALID',
      `PostgreSQL schema is at version ${version}, this build needs ${LATEST_PG_VERSION}: run \`orgvault migrate\` ` +
        'with ORGVAULT_DATABASE_OWNER_URL set to the role that owns the schema (the runtime role cannot migrate)',
    );
  }
}
