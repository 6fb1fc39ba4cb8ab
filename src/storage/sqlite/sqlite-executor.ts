import type { Database, Statement } from 'better-sqlite3';
import { type Executor, LIST_PLACEHOLDER, type Sql } from '../sql/executor.js';

/** A list parameter is JSON text here, read as a table by json_each. */
const sqliteText = (stmt: Sql): string =>
  stmt.lists ? stmt.text.replace(LIST_PLACEHOLDER, 'IN (SELECT value FROM json_each(?))') : stmt.text;

const bindable = (stmt: Sql, values: readonly unknown[]): readonly unknown[] =>
  stmt.lists ? values.map((v) => (Array.isArray(v) ? JSON.stringify(v) : v)) : values;

/**
 * Runs the stores' statements on one better-sqlite3 connection: each statement is prepared once
 * (on first use) and reused for the life of the connection; answers are synchronous. Locks are
 * no-ops and `defer` runs at once, because this engine's writer runs one transaction at a time.
 */
export class SqliteExecutor implements Executor {
  private readonly prepared = new Map<Sql, Statement<unknown[], unknown>>();

  /** `onWrite` hears the table of every write this executor runs (see SqliteStorage.authChangeToken). */
  constructor(
    private readonly db: Database,
    private readonly onWrite: (table: string) => void = () => {},
  ) {}

  private statement(stmt: Sql): Statement<unknown[], unknown> {
    if (stmt.table !== null) this.onWrite(stmt.table);
    let s = this.prepared.get(stmt);
    if (s === undefined) {
      s = this.db.prepare<unknown[], unknown>(sqliteText(stmt));
      this.prepared.set(stmt, s);
    }
    return s;
  }

  all<R>(stmt: Sql, values: readonly unknown[]): R[] {
    return this.statement(stmt).all(...bindable(stmt, values)) as R[];
  }

  get<R>(stmt: Sql, values: readonly unknown[]): R | null {
    return (this.statement(stmt).get(...bindable(stmt, values)) as R | undefined) ?? null;
  }

  run(stmt: Sql, values: readonly unknown[]): number {
    return this.statement(stmt).run(...bindable(stmt, values)).changes;
  }

  defer(stmt: Sql, values: readonly unknown[]): void {
    this.statement(stmt).run(...bindable(stmt, values));
  }

  lock(): void {}

  upsert<R>(
    stmt: Sql,
    values: readonly unknown[],
    exists: Sql,
    existsValues: readonly unknown[],
    existed?: boolean,
  ): { row: R | null; inserted: boolean } {
    // Safe without a lock: the writer is serialised, nothing commits between the caller's read (or
    // the existence check) and the upsert.
    const inserted =
      existed === undefined ? this.statement(exists).get(...existsValues) === undefined : !existed;
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
