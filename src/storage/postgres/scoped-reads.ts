import type { PoolClient, QueryResultRow } from 'pg';
import type { Before, Queryable, Statement } from './queryable.js';
import { type PrefixStatement, queryWithPrefix, type ScopeSetting } from './scoped-query.js';

/**
 * The read path (`storage.read`): ONE round trip per statement and no BEGIN/COMMIT. Each statement
 * goes out behind `SELECT set_config($1, $2, true)` and before a single Sync; with no explicit BEGIN,
 * the extended protocol runs everything up to that Sync as one implicit transaction, so the setting
 * is transaction-local (SET LOCAL), in force for the statement's RLS, and gone when the Sync commits.
 *
 * Two statements of one read are two implicit transactions: each takes its own snapshot, exactly as
 * two statements of a READ COMMITTED transaction would. Writes are refused here: without a
 * transaction around them a multi-statement change would not be atomic.
 *
 * Measured on the bench (loopback): an explicit BEGIN + set_config + query + COMMIT read reaches
 * about half the rate of a bare query; this path matches the bare query within a few percent.
 */
export class ScopedReads implements Queryable {
  private readonly opening: PrefixStatement;

  constructor(
    readonly client: PoolClient,
    setting: ScopeSetting,
  ) {
    this.opening = {
      name: 'ov_set_scope',
      text: 'SELECT set_config($1, $2, true)',
      values: [setting.name, setting.value],
    };
  }

  async rows<R extends QueryResultRow>(
    stmt: Statement,
    values: unknown[],
    before: Before[] = [],
  ): Promise<R[]> {
    if (stmt.writes)
      throw new Error(`${stmt.name} writes: run it in storage.transaction(), not storage.read()`);
    const prefix = [
      this.opening,
      ...before.map((b) => ({ name: b.stmt.name, text: b.stmt.text, values: b.values })),
    ];
    const result = await queryWithPrefix(this.client, prefix, { name: stmt.name, text: stmt.text, values });
    return result.rows as R[];
  }

  async run(stmt: Statement): Promise<number> {
    throw new Error(`${stmt.name} writes: run it in storage.transaction(), not storage.read()`);
  }

  defer(stmt: Statement): void {
    throw new Error(`${stmt.name} writes: run it in storage.transaction(), not storage.read()`);
  }
}
