import type { QueryResultRow } from 'pg';

/**
 * A statement with a fixed name: pg prepares it once per connection and reuses the plan, so the hot
 * paths never re-parse SQL. Every value goes in as a bound parameter, never into the text.
 */
export interface Statement {
  name: string;
  text: string;
  /** INSERT, UPDATE or DELETE: refused on the read path, which has no transaction to hold it. */
  writes: boolean;
}

export const statement = (name: string, text: string): Statement => ({
  name: `ov_${name}`,
  text,
  writes: /^\s*(INSERT|UPDATE|DELETE)\b/i.test(text),
});

/** A statement to run just before another, in the same round trip (e.g. the lock that guards a read). */
export interface Before {
  stmt: Statement;
  values: unknown[];
}

/** What the repositories run their statements through: one scoped transaction's connection. */
export interface Queryable {
  /** Rows of `stmt`; `before` statements run first, in order, in the same round trip. */
  rows<R extends QueryResultRow>(stmt: Statement, values: unknown[], before?: Before[]): Promise<R[]>;
  /** Number of rows the statement affected; `before` as for rows. */
  run(stmt: Statement, values: unknown[], before?: Before[]): Promise<number>;
  /**
   * A write whose result nobody reads: sent ahead of the transaction's next statement or of its
   * COMMIT, in the same round trip. Its failure fails that statement (or the COMMIT), so the whole
   * transaction still rolls back; only the report of the error comes one step later.
   */
  defer(stmt: Statement, values: unknown[]): void;
}
