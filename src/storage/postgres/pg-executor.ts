import type { QueryResultRow } from 'pg';
import { type Executor, LIST_PLACEHOLDER, type NamedLock, type Sql } from '../sql/executor.js';
import { AUDIT_CHAIN_LOCK_SQL, BOOTSTRAP_LOCK_SQL } from './advisory-locks.js';
import { type Before, type Queryable, type Statement, statement } from './queryable.js';

/**
 * `?` placeholders numbered as PostgreSQL wants them ($1, $2, ...); the stores never put `?` in a
 * literal. A list parameter (`IN (?[])`) is a text array here (node-postgres binds a JS array as one).
 */
const numbered = (text: string): string => {
  let n = 0;
  return text.replace(LIST_PLACEHOLDER, '= ANY(?)').replace(/\?/g, () => `$${++n}`);
};

// Each store statement becomes one named, prepared PostgreSQL statement (and at most one variant).
// A memo of a pure conversion, keyed by the statement objects the stores define once at load.
const converted = new WeakMap<Sql, Statement>();
const upserts = new WeakMap<Sql, Statement>();

function pgStatement(stmt: Sql): Statement {
  let s = converted.get(stmt);
  if (s === undefined) {
    s = statement(stmt.name, numbered(stmt.text) + (stmt.forUpdate ? ' FOR UPDATE' : ''));
    // A statement with a list is planned for each call's values (unnamed): the generic plan of a
    // named one does not search the key for `= ANY($n)` and scanned, e.g., a whole thread's values.
    if (stmt.lists) s = { ...s, name: '' };
    converted.set(stmt, s);
  }
  return s;
}

/** The upsert with `(xmax = 0) AS inserted` returned: true only for a row this statement inserted. */
function upsertStatement(stmt: Sql): Statement {
  let s = upserts.get(stmt);
  if (s === undefined) {
    const text = numbered(stmt.text);
    const returning = /\bRETURNING\b/i.test(text)
      ? `${text}, (xmax = 0) AS inserted`
      : `${text} RETURNING (xmax = 0) AS inserted`;
    s = statement(`${stmt.name}_x`, returning);
    upserts.set(stmt, s);
  }
  return s;
}

const LOCKS: Record<NamedLock, Statement> = {
  bootstrap: statement('lock_bootstrap', BOOTSTRAP_LOCK_SQL),
  'audit-chain': statement('lock_audit_chain', AUDIT_CHAIN_LOCK_SQL),
};

/**
 * Runs the stores' statements on one scoped unit of work (a ScopedTransaction or ScopedReads):
 * placeholders numbered, statements prepared by name once per connection, locks sent in the same
 * round trip as the statement they guard, deferred writes travelling with the next statement.
 */
export class PgExecutor implements Executor {
  /** Locks asked for and not yet sent: they go out just before the next statement. */
  private pendingLocks: Before[] = [];

  constructor(private readonly db: Queryable) {}

  private takeLocks(): Before[] {
    if (this.pendingLocks.length === 0) return this.pendingLocks;
    const locks = this.pendingLocks;
    this.pendingLocks = [];
    return locks;
  }

  all<R>(stmt: Sql, values: readonly unknown[]): Promise<R[]> {
    return this.db.rows<R & QueryResultRow>(pgStatement(stmt), values as unknown[], this.takeLocks());
  }

  async get<R>(stmt: Sql, values: readonly unknown[]): Promise<R | null> {
    return (await this.all<R>(stmt, values))[0] ?? null;
  }

  run(stmt: Sql, values: readonly unknown[]): Promise<number> {
    return this.db.run(pgStatement(stmt), values as unknown[], this.takeLocks());
  }

  defer(stmt: Sql, values: readonly unknown[]): void {
    this.db.defer(pgStatement(stmt), values as unknown[]);
  }

  lock(lock: NamedLock, key: string): void {
    const stmt = LOCKS[lock];
    // The lock text uses $1 only where it is keyed (audit chain: the org id).
    this.pendingLocks.push({ stmt, values: stmt.text.includes('$1') ? [key] : [] });
  }

  async upsert<R>(stmt: Sql, values: readonly unknown[]): Promise<{ row: R | null; inserted: boolean }> {
    const rows = await this.db.rows<R & { inserted: boolean } & QueryResultRow>(
      upsertStatement(stmt),
      values as unknown[],
      this.takeLocks(),
    );
    const row = rows[0] ?? null;
    return { row, inserted: row?.inserted === true };
  }

  json<T>(value: unknown): T {
    return value as T;
  }
}
