import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { checkRowLevelSecurity } from '../../src/storage/postgres/rls-check.js';
import {
  adminPool,
  createIsolatedSchema,
  type IsolatedSchema,
  type IsolatedSchemaOptions,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
} from '../support/postgres.js';

/** Opening a PostgreSQL vault refuses to start whenever RLS would not bind the runtime role. */
describe.skipIf(!POSTGRES_URL)(`start-up check${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`, () => {
  const schemas: IsolatedSchema[] = [];
  afterEach(async () => {
    for (const s of schemas.splice(0)) await s.dispose();
  });

  async function migrated(options: IsolatedSchemaOptions = {}): Promise<IsolatedSchema> {
    const s = await createIsolatedSchema(options);
    schemas.push(s);
    const owner = new pg.Client({ connectionString: s.ownerUrl });
    await owner.connect();
    try {
      const { applyPostgresMigrations } = await import('../../src/storage/postgres/migrate.js');
      await applyPostgresMigrations(owner, s.runtimeRole);
    } finally {
      await owner.end();
    }
    return s;
  }

  it('accepts a runtime role that is neither owner, superuser nor BYPASSRLS', async () => {
    const s = await migrated();
    const storage = await PostgresStorage.open({ url: s.runtimeUrl });
    expect(storage.capabilities).toMatchObject({ engine: 'postgres' });
    await storage.close();
  });

  it('refuses a runtime role that owns the tables', async () => {
    const s = await migrated();
    await expect(PostgresStorage.open({ url: s.ownerUrl })).rejects.toThrow(
      /refusing to start: .*owned by "ovt_\w+_owner", which the runtime role is or is a member of/,
    );
  });

  it('says an ownership problem once, naming every table it concerns', async () => {
    const s = await migrated();
    const err = (await PostgresStorage.open({ url: s.ownerUrl }).catch((e: unknown) => e)) as Error;
    expect(err.message.match(/owned by/g)).toHaveLength(1);
    expect(err.message).toMatch(
      /which the runtime role is or is a member of: organizations, modules, .*lg_writes/,
    );
  });

  it('refuses a runtime role that is a member of the owner role', async () => {
    const s = await migrated();
    await adminPool().query(
      `GRANT ${pg.escapeIdentifier(s.ownerRole)} TO ${pg.escapeIdentifier(s.runtimeRole)}`,
    );
    await expect(PostgresStorage.open({ url: s.runtimeUrl })).rejects.toThrow(
      /which the runtime role is or is a member of/,
    );
  });

  it('refuses a superuser', async () => {
    const s = await migrated({ runtimeAttributes: 'SUPERUSER' });
    await expect(PostgresStorage.open({ url: s.runtimeUrl })).rejects.toThrow(/is a superuser/);
  });

  it('refuses a BYPASSRLS role', async () => {
    const s = await migrated({ runtimeAttributes: 'NOSUPERUSER BYPASSRLS' });
    await expect(PostgresStorage.open({ url: s.runtimeUrl })).rejects.toThrow(/has BYPASSRLS/);
  });

  it('refuses a tenant table whose RLS is not forced, or not enabled', async () => {
    const s = await migrated();
    const owner = new pg.Client({ connectionString: s.ownerUrl });
    await owner.connect();
    await owner.query('ALTER TABLE modules NO FORCE ROW LEVEL SECURITY');
    await owner.query('ALTER TABLE checkpoints DISABLE ROW LEVEL SECURITY');
    await owner.end();
    const error = await PostgresStorage.open({ url: s.runtimeUrl }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/row-level security is not forced/);
    expect((error as Error).message).toMatch(/row-level security is not enabled/);
    const runtime = new pg.Client({ connectionString: s.runtimeUrl });
    await runtime.connect();
    const findings = await checkRowLevelSecurity(runtime);
    await runtime.end();
    expect(findings.filter((f) => !f.ok).map((f) => f.check.split(':')[0])).toEqual([
      'modules',
      'checkpoints',
    ]);
  });

  it('refuses an unmigrated schema without an owner URL, naming the fix', async () => {
    const s = await createIsolatedSchema();
    schemas.push(s);
    await expect(PostgresStorage.open({ url: s.runtimeUrl })).rejects.toThrow(
      /schema is at version 0.*ORGVAULT_DATABASE_OWNER_URL/,
    );
  });

  it('never puts a password from the URL into its errors', async () => {
    const s = await createIsolatedSchema();
    schemas.push(s);
    const url = new URL(s.runtimeUrl);
    url.password = 'hunter2-secret';
    const error = await PostgresStorage.open({ url: url.toString() }).catch((e: Error) => e);
    expect(String((error as Error).message)).not.toContain('hunter2-secret');
  });
});
