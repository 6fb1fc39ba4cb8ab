import type { Database, Statement } from 'better-sqlite3';
import type { Executor, Sql } from '../sql/executor.js';

/**
 * Runs the stores' statements on one better-sqlite3 connection: each statement is prepared once
 * (on first use) and reused for the life of the connection; answers are synchronous. Locks are
 * no-ops and `defer` runs at once, because this engine's writer runs one transaction at a time.
 */
export class SqliteExecutor implements Executor {
  private readonly prepared = new Map<Sql, Statement<unknown[], unknown>>();

  constructor(private readonly db: Database) {}

  private statement(stmt: Sql): Statement<unknown[], unknown> {
    let s = this.prepared.get(stmt);
    if (s === undefined) {
      s = this.db.prepare<unknown[], unknown>(stmt.text);
      this.prepared.set(stmt, s);
    }
    return s;
  }

  all<R>(stmt: Sql, values: readonly unknown[]): R[] {
    return this.statement(stmt).all(...values) as R[];
  }

  get<R>(stmt: Sql, values: readonly unknown[]): R | null {
    return (this.statement(stmt).get(...values) as R | undefined) ?? null;
  }

  run(stmt: Sql, values: readonly unknown[]): number {
    return this.statement(stmt).run(...values).changes;
  }

  defer(stmt: Sql, values: readonly unknown[]): void {
    this.statement(stmt).run(...values);
  }

  lock(): void {}

  upsert<R>(
    stmt: Sql,
    values: readonly unknown[],
    exists: Sql,
    existsValues: readonly unknown[],
  ): { row: R | null; inserted: boolean } {
    // Safe without a lock: the writer is serialised, nothing commits between the two statements.
    const inserted = this.statement(exists).get(...existsValues) === undefined;
    const s = this.statement(stmt);
    if (!s.reader) {
      s.run(...values);
      return { row: null, inserted };
    }
    return { row: (s.get(...values) as R | undefined) ?? null, inserted };
  }

  json<T>(value: unknown): T {
    return JSON.parse(value as string) as T;
  }
}
