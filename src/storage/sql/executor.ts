/**
 * The seam between the stores (each statement written once, in `sql/`) and an engine. A store
 * states WHAT to run; an executor (sqlite/sqlite-executor.ts, postgres/pg-executor.ts) runs it and
 * converts at its edge: placeholders, prepared-statement caching, JSON decoding, one-round-trip
 * batching on PostgreSQL. Where the engines truly differ, the difference is a named method here
 * (a lock, "was this upsert an insert", a row lock), never a second copy of a store.
 *
 * Statements use `?` placeholders (PostgreSQL's executor numbers them), standard SQL both engines
 * accept (CAST(... AS TEXT), ON CONFLICT, RETURNING), and never interpolate a value.
 *
 * `IN (?[])` takes one parameter that is an array of strings, however many: one statement (one
 * round trip) for a set of keys. SQLite spreads it into as many `?` (one prepared variant per list
 * length), PostgreSQL binds it as one text array compared with `= ANY`.
 */

/** The list placeholder (see above), as it appears in a statement's text. */
export const LIST_PLACEHOLDER = /\bIN \(\?\[\]\)/g;

/** A statement of a store: its text is fixed at module load, every value is a bound parameter. */
export interface Sql {
  /** Unique among the stores' statements: PostgreSQL prepares it once per connection under it. */
  readonly name: string;
  readonly text: string;
  /** INSERT, UPDATE or DELETE: refused on PostgreSQL's read path, which has no transaction to hold it. */
  readonly writes: boolean;
  /**
   * The table a write names (INSERT INTO / UPDATE / DELETE FROM), for caches keyed on what was
   * written (Storage.authChangeToken); null for a read, and for a write declared `hint` (it changes
   * a column no cached decision reads, e.g. a key's last_used_at).
   */
  readonly table: string | null;
  /** A read that locks its rows until the transaction ends (PostgreSQL FOR UPDATE; SQLite's writer is serialised). */
  readonly forUpdate: boolean;
  /** Whether the text has an `IN (?[])` list parameter. */
  readonly lists: boolean;
}

export function sql(name: string, text: string, options: { forUpdate?: boolean; hint?: boolean } = {}): Sql {
  return {
    name,
    text,
    writes: /^\s*(INSERT|UPDATE|DELETE)\b/i.test(text),
    table:
      options.hint === true
        ? null
        : (/^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/i.exec(text)?.[1]?.toLowerCase() ?? null),
    forUpdate: options.forUpdate === true,
    lists: new RegExp(LIST_PLACEHOLDER.source).test(text),
  };
}

/**
 * Transaction-scoped locks the stores name. SQLite needs none (one writer at a time); PostgreSQL
 * takes an advisory lock (postgres/advisory-locks.ts) together with the transaction's next statement.
 */
export type NamedLock = 'bootstrap' | 'audit-chain';

/** A value or its promise: SQLite answers synchronously, and an `await` on a plain value is cheap. */
export type Maybe<T> = T | Promise<T>;

export interface Executor {
  /** Every row the statement returns. */
  all<R>(stmt: Sql, values: readonly unknown[]): Maybe<R[]>;
  /** The first row, or null. */
  get<R>(stmt: Sql, values: readonly unknown[]): Maybe<R | null>;
  /** Runs a write; the number of rows it changed. */
  run(stmt: Sql, values: readonly unknown[]): Maybe<number>;
  /**
   * A write whose result nobody reads. PostgreSQL sends it with the transaction's next statement or
   * its COMMIT (one round trip fewer; a failure still rolls the transaction back); SQLite runs it now.
   */
  defer(stmt: Sql, values: readonly unknown[]): void;
  /** Holds `lock` (per `key`) until the transaction ends; taken before the next statement runs. */
  lock(lock: NamedLock, key: string): void;
  /**
   * An upsert (`INSERT ... ON CONFLICT ... DO UPDATE`, with or without RETURNING) that also says
   * whether it inserted. PostgreSQL reads it off the row (xmax = 0) in the same statement; SQLite,
   * whose writer is serialised, takes `existed` when the caller read the row earlier in this
   * transaction (no extra statement), else asks `exists` first.
   */
  upsert<R>(
    stmt: Sql,
    values: readonly unknown[],
    exists: Sql,
    existsValues: readonly unknown[],
    existed?: boolean,
  ): Maybe<{ row: R | null; inserted: boolean }>;
  /** A JSON column as the engine returns it (SQLite: text; PostgreSQL: already decoded). */
  json<T>(value: unknown): T;
}
