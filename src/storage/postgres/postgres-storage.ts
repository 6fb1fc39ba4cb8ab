import pg from 'pg';
import type { Repositories, Scope, Storage, StorageCapabilities } from '../types.js';
import { PgApiKeyStore } from './api-keys.js';
import { PgAuditStore } from './audit.js';
import { PgCheckpointStore } from './checkpoints.js';
import { PgCredentialStore } from './credentials.js';
import { applyPostgresMigrations, assertSchemaCurrent } from './migrate.js';
import { PgModuleStore } from './modules.js';
import { PgMasterKeyStore, PgOrgKeyStore } from './org-keys.js';
import { PgOrgStore } from './orgs.js';
import type { Queryable } from './queryable.js';
import { assertRowLevelSecurity } from './rls-check.js';
import { ScopedTransaction, SYSTEM_WRITE_LOCK, settingFor } from './scoped-transaction.js';

export interface PostgresStorageOptions {
  /** The runtime role's URL (ORGVAULT_DATABASE_URL): not owner, superuser nor BYPASSRLS. */
  url: string;
  /** The schema owner's URL (ORGVAULT_DATABASE_OWNER_URL): when given, migrations run at open. */
  ownerUrl?: string | undefined;
  /** Connections in the pool (default 10). */
  poolSize?: number | undefined;
  /** Where errors of idle pooled connections are reported (a dropped connection is replaced anyway). */
  onIdleError?: ((err: Error) => void) | undefined;
}

function repositoriesOf(db: Queryable, afterCommit: (callback: () => void) => void): Repositories {
  return {
    afterCommit,
    orgs: new PgOrgStore(db),
    modules: new PgModuleStore(db),
    credentials: new PgCredentialStore(db),
    orgKeys: new PgOrgKeyStore(db),
    masterKeys: new PgMasterKeyStore(db),
    apiKeys: new PgApiKeyStore(db),
    audit: new PgAuditStore(db),
    checkpoints: new PgCheckpointStore(db),
  };
}

/**
 * The PostgreSQL backend: a pg Pool; every unit of work borrows one connection, opens a transaction
 * with its scope applied by set_config(..., true) (transaction-local, so nothing survives into the
 * connection's next borrower), and row-level security does the rest. Opening it refuses to start
 * when the runtime role could bypass RLS (rls-check.ts) or the schema is older than this build.
 */
export class PostgresStorage implements Storage {
  readonly capabilities: StorageCapabilities = {
    engine: 'postgres',
    rowLevelSecurity: true,
    multiNode: true,
  };
  private readonly pool: pg.Pool;
  /** COMMITs of read transactions still in flight (see run); close() waits for them. */
  private readonly pendingCommits = new Set<Promise<void>>();
  private closed = false;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: 'orgvault',
    });
    pool.on('error', (err) => options.onIdleError?.(err));
    try {
      const client = await pool.connect();
      try {
        if (options.ownerUrl) await migrateAsOwner(options.ownerUrl, client);
        await assertSchemaCurrent(client);
        await assertRowLevelSecurity(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStorage(pool);
  }

  /** The pool, for doctor and tests that inspect the database as the runtime role. */
  get rawPool(): pg.Pool {
    return this.pool;
  }

  transaction<T>(scope: Scope, fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.run(scope, fn, false);
  }

  read<T>(scope: Scope, fn: (r: Repositories) => Promise<T>): Promise<T> {
    return this.run(scope, fn, true);
  }

  private async run<T>(scope: Scope, fn: (r: Repositories) => Promise<T>, readOnly: boolean): Promise<T> {
    if (this.closed) throw new Error('storage is closed');
    const setting = settingFor(scope);
    const client = await this.pool.connect();
    const serialise = scope.kind === 'system' && !readOnly;
    const tx = new ScopedTransaction(client, setting, readOnly, serialise ? [SYSTEM_WRITE_LOCK] : []);
    let result: T;
    const committed: (() => void)[] = [];
    const afterCommit = readOnly ? (cb: () => void) => cb() : (cb: () => void) => void committed.push(cb);
    try {
      result = await fn(repositoriesOf(tx, afterCommit));
    } catch (err) {
      if (tx.started) await finish(client, 'ROLLBACK').catch(() => undefined);
      else client.release();
      throw err;
    }
    if (!tx.started) {
      client.release();
      for (const cb of committed) cb();
      return result;
    }
    if (readOnly) {
      // A read-only transaction has nothing to make durable: hand the result back now and let the
      // COMMIT finish before the connection returns to the pool (saves a round trip per read).
      const pending = finish(client, 'COMMIT').catch(() => undefined);
      this.pendingCommits.add(pending);
      void pending.then(() => this.pendingCommits.delete(pending));
      return result;
    }
    await finish(client, 'COMMIT');
    for (const cb of committed) cb();
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.pendingCommits);
    await this.pool.end();
  }
}

/** Ends the transaction and returns the connection; a connection whose end failed is discarded. */
async function finish(client: pg.PoolClient, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  try {
    await client.query(command);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  client.release();
}

/** Runs migrations on a short-lived owner connection and grants the runtime role its DML. */
async function migrateAsOwner(ownerUrl: string, runtime: pg.PoolClient): Promise<void> {
  const runtimeRole = (await runtime.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u ?? null;
  const owner = new pg.Client({ connectionString: ownerUrl, application_name: 'orgvault-migrate' });
  await owner.connect();
  try {
    await applyPostgresMigrations(owner, runtimeRole);
  } finally {
    await owner.end();
  }
}
