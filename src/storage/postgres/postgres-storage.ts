import pg from 'pg';
import { repositoriesOf } from '../sql/repositories.js';
import type { Scope, SessionLock, Storage, StorageCapabilities, UnitsOfWork } from '../storage.js';
import type { Repositories } from '../stores.js';
import { OAUTH_TOKEN_SESSION_LOCK } from './advisory-locks.js';
import { applyPostgresMigrations, assertSchemaCurrent } from './migrate.js';
import { PgExecutor } from './pg-executor.js';
import type { Queryable } from './queryable.js';
import { assertRowLevelSecurity } from './rls-check.js';
import { isTainted, useUnnamedStatements } from './scoped-query.js';
import { ScopedReads } from './scoped-reads.js';
import { ScopedTransaction, SYSTEM_WRITE_LOCK, settingFor } from './scoped-transaction.js';

export interface PostgresStorageOptions {
  /** The runtime role's URL (ORGVAULT_DATABASE_URL): not owner, superuser nor BYPASSRLS. */
  url: string;
  /** The schema owner's URL (ORGVAULT_DATABASE_OWNER_URL): when given, migrations run at open. */
  ownerUrl?: string | undefined;
  /** Connections in the pool (default 10). */
  poolSize?: number | undefined;
  /**
   * Named prepared statements (default true). False for a transaction-pooling PgBouncer before 1.21,
   * which cannot keep a named statement across transactions (ORGVAULT_PG_PREPARED_STATEMENTS=off).
   */
  preparedStatements?: boolean | undefined;
  /** Where errors of idle pooled connections are reported (a dropped connection is replaced anyway). */
  onIdleError?: ((err: Error) => void) | undefined;
}

/** The stores over one scoped unit of work (written once, in ../sql/). */
const repositories = (db: Queryable, afterCommit: (callback: () => void) => void): Repositories =>
  repositoriesOf(new PgExecutor(db), afterCommit);

/**
 * The PostgreSQL backend: a pg Pool; every unit of work borrows one connection and applies its scope
 * with set_config(..., true) (transaction-local, so nothing survives into the connection's next
 * borrower): a transaction opens with BEGIN + set_config + its first statement in one round trip
 * (scoped-transaction.ts); a read sends set_config with each statement, one round trip per statement
 * (scoped-reads.ts). Row-level security does the rest. Opening it refuses to start
 * when the runtime role could bypass RLS (rls-check.ts) or the schema is older than this build.
 */
export class PostgresStorage implements Storage {
  readonly capabilities: StorageCapabilities = {
    engine: 'postgres',
  };
  private readonly pool: pg.Pool;
  private closed = false;

  private constructor(
    pool: pg.Pool,
    readonly migrationsApplied: readonly number[],
  ) {
    this.pool = pool;
  }

  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: 'orgvault',
    });
    pool.on('error', (err) => options.onIdleError?.(err));
    if (options.preparedStatements === false) pool.on('connect', (client) => useUnnamedStatements(client));
    let applied: number[] = [];
    try {
      const client = await pool.connect();
      try {
        if (options.ownerUrl) applied = await migrateAsOwner(options.ownerUrl, client);
        await assertSchemaCurrent(client);
        await assertRowLevelSecurity(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStorage(pool, applied);
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

  async withLock<T>(name: SessionLock, key: string, fn: (units: UnitsOfWork) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('storage is closed');
    const lock = SESSION_LOCKS[name];
    const client = await this.pool.connect();
    try {
      await client.query(lock.lock, [key]);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    let result: T;
    try {
      result = await fn({
        transaction: (scope, f) => this.run(scope, f, false, client),
        read: (scope, f) => this.run(scope, f, true, client),
      });
    } catch (err) {
      await this.unlock(client, lock.unlock, key);
      throw err;
    }
    await this.unlock(client, lock.unlock, key);
    return result;
  }

  /** Ends withLock: a connection whose unlock failed is discarded (closing it frees the lock). */
  private async unlock(client: pg.PoolClient, sql: string, key: string): Promise<void> {
    try {
      await client.query(sql, [key]);
    } catch (err) {
      client.release(err as Error);
      return;
    }
    releaseToPool(client);
  }

  /** `pinned`: the connection of a withLock, kept (not released) when the unit of work ends. */
  private async run<T>(
    scope: Scope,
    fn: (r: Repositories) => Promise<T>,
    readOnly: boolean,
    pinned?: pg.PoolClient,
  ): Promise<T> {
    if (this.closed) throw new Error('storage is closed');
    const setting = settingFor(scope);
    const client = pinned ?? (await this.pool.connect());
    const release = pinned === undefined ? releaseToPool : () => undefined;
    const finish =
      pinned === undefined
        ? finishAndRelease
        : async (c: pg.PoolClient, command: 'COMMIT' | 'ROLLBACK') => void (await c.query(command));
    if (readOnly) {
      // One round trip per statement, no BEGIN/COMMIT (scoped-reads.ts). Nothing to commit, so an
      // afterCommit callback may run at once.
      try {
        return await fn(repositories(new ScopedReads(client, setting), (cb) => cb()));
      } finally {
        release(client);
      }
    }
    const serialise = scope.kind === 'system';
    const tx = new ScopedTransaction(client, setting, serialise ? [SYSTEM_WRITE_LOCK] : []);
    let result: T;
    const committed: (() => void)[] = [];
    try {
      result = await fn(repositories(tx, (cb) => void committed.push(cb)));
    } catch (err) {
      if (tx.started) await finish(client, 'ROLLBACK').catch(() => undefined);
      else release(client);
      throw err;
    }
    if (tx.started) {
      try {
        await tx.commit();
      } catch (err) {
        // A deferred write failed: the server skipped the COMMIT and the transaction is aborted.
        await finish(client, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
      release(client);
    } else release(client);
    for (const cb of committed) cb();
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

const SESSION_LOCKS: Record<SessionLock, { lock: string; unlock: string }> = {
  'oauth-token': OAUTH_TOKEN_SESSION_LOCK,
};

/** Ends the transaction and returns the connection; a connection whose end failed is discarded. */
async function finishAndRelease(client: pg.PoolClient, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  try {
    await client.query(command);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  releaseToPool(client);
}

/** Back to the pool, unless a failed batch left its prepared statements uncertain (then discarded). */
function releaseToPool(client: pg.PoolClient): void {
  if (isTainted(client)) client.release(new Error('prepared statements uncertain after a failed batch'));
  else client.release();
}

/** Runs migrations on a short-lived owner connection and grants the runtime role its DML. */
async function migrateAsOwner(ownerUrl: string, runtime: pg.PoolClient): Promise<number[]> {
  const runtimeRole = (await runtime.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u ?? null;
  const owner = new pg.Client({ connectionString: ownerUrl, application_name: 'orgvault-migrate' });
  await owner.connect();
  try {
    return await applyPostgresMigrations(owner, runtimeRole);
  } finally {
    await owner.end();
  }
}
