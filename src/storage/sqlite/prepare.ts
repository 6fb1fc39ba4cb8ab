import type { Database, Statement } from 'better-sqlite3';

/** A statement with positional parameters, prepared once and reused for the life of the connection. */
export type Stmt<R = unknown> = Statement<unknown[], R>;

export function prepare<R = unknown>(db: Database, sql: string): Stmt<R> {
  return db.prepare<unknown[], R>(sql);
}
