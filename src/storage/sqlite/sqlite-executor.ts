import type { Database, Statement } from 'better-sqlite3';
import { type Executor, LIST_PLACEHOLDER, type Sql } from '../sql/executor.js';

/**
 * A list parameter becomes as many `?` as it has items, one prepared variant per list length
 * (json_each costs several times more per call here, where a statement costs no round trip).
 */
function expandLists(stmt: Sql, values: readonly unknown[]): { key: string; text: string; flat: unknown[] } {
  const lengths: number[] = [];
  const flat: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) {
      lengths.push(v.length);
      flat.push(...v);
    } else flat.push(v);
  }
  let k = 0;
  const text = stmt.text.replace(LIST_PLACEHOLDER, () => {
    const n = lengths[k++] ?? 0;
    return `IN (${Array.from({ length: n }, () => '?').join(', ')})`;
  });
  return { key: lengths.join(','), text, flat };
}

/**
 * Runs the stores' statements on one better-sqlite3 connection: each statement is prepared once
 * (on first use) and reused for the life of the connection; answers are synchronous. Locks are
 * no-ops and `defer` runs at once, because this engine's writer runs one transaction at a time.
 */
export class SqliteExecutor implements Executor {
  private readonly prepared = new Map<Sql, Statement<unknown[], unknown>>();
  /** Statements with list parameters: one variant per combination of list lengths. */
  private readonly listed = new Map<Sql, Map<string, Statement<unknown[], unknown>>>();

  /** `onWrite` hears the table of every write this executor runs (see SqliteStorage.authChangeToken). */
  constructor(
    private readonly db: Database,
    private readonly onWrite: (table: string) => void = () => {},
  ) {}

  private statement(stmt: Sql): Statement<unknown[], unknown> {
    if (stmt.table !== null) this.onWrite(stmt.table);
    let s = this.prepared.get(stmt);
    if (s === undefined) {
      s = this.db.prepare<unknown[], unknown>(stmt.text);
      this.prepared.set(stmt, s);
    }
    return s;
  }

  /** The prepared statement and its parameters (list parameters spread). */
  private bound(stmt: Sql, values: readonly unknown[]): [Statement<unknown[], unknown>, readonly unknown[]] {
    if (!stmt.lists) return [this.statement(stmt), values];
    if (stmt.table !== null) this.onWrite(stmt.table);
    const { key, text, flat } = expandLists(stmt, values);
    let variants = this.listed.get(stmt);
    if (variants === undefined) {
      variants = new Map();
      this.listed.set(stmt, variants);
    }
    let s = variants.get(key);
    if (s === undefined) {
      s = this.db.prepare<unknown[], unknown>(text);
      variants.set(key, s);
    }
    return [s, flat];
  }

  all<R>(stmt: Sql, values: readonly unknown[]): R[] {
    const [s, v] = this.bound(stmt, values);
    return s.all(...v) as R[];
  }

  get<R>(stmt: Sql, values: readonly unknown[]): R | null {
    const [s, v] = this.bound(stmt, values);
    return (s.get(...v) as R | undefined) ?? null;
  }

  run(stmt: Sql, values: readonly unknown[]): number {
    const [s, v] = this.bound(stmt, values);
    return s.run(...v).changes;
  }

  defer(stmt: Sql, values: readonly unknown[]): void {
    const [s, v] = this.bound(stmt, values);
    s.run(...v);
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
