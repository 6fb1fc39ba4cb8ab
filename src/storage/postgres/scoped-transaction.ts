import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { Scope } from '../storage.js';
import { SYSTEM_WRITE_LOCK_SQL } from './advisory-locks.js';
import type { Before, Queryable, Statement } from './queryable.js';
import { type PrefixStatement, queryWithPrefix, type ScopeSetting, scopeOpening } from './scoped-query.js';

/**
 * The one transaction-local setting that each scope turns on (see migrations.ts for the policies).
 * Only ever applied with set_config(..., true), i.e. SET LOCAL: it dies with the transaction, so a
 * pooled connection can never carry an org into its next borrower.
 */
export function settingFor(scope: Scope): ScopeSetting {
  switch (scope.kind) {
    case 'org':
      if (scope.orgId === '') throw new Error('org scope needs an org id');
      return { name: 'orgvault.org_id', value: scope.orgId };
    case 'system':
      return { name: 'orgvault.system', value: 'on' };
    case 'auth':
      return { name: 'orgvault.auth', value: 'on' };
  }
}

/**
 * System-scope write transactions are serialised across every node (a transaction-scoped advisory
 * lock taken before their first statement), as all transactions are on SQLite. They are rare (org
 * creation, the `default` org at start, bootstrap, master-key rotation) and are check-then-write
 * flows that READ COMMITTED alone would let two nodes interleave.
 */
export const SYSTEM_WRITE_LOCK: PrefixStatement = {
  name: 'ov_system_write_lock',
  text: SYSTEM_WRITE_LOCK_SQL,
  values: [],
};

/**
 * One scoped transaction on a pooled connection. Nothing is sent until the first statement, which
 * goes out together with BEGIN and set_config in one round trip (scoped-query.ts); a unit of work
 * that runs no statement costs no round trip at all.
 */
export class ScopedTransaction implements Queryable {
  private begun = false;
  /** Writes waiting to travel with the next statement or the COMMIT (see Queryable.defer). */
  private readonly deferred: PrefixStatement[] = [];

  constructor(
    readonly client: PoolClient,
    private readonly setting: ScopeSetting,
    /** Statements that open the transaction right after the scope (e.g. a serialising lock). */
    private readonly opening: PrefixStatement[] = [],
  ) {}

  /** True once BEGIN has been sent or a write is waiting (so COMMIT or ROLLBACK is owed). */
  get started(): boolean {
    return this.begun || this.deferred.length > 0;
  }

  async rows<R extends QueryResultRow>(
    stmt: Statement,
    values: unknown[],
    before: Before[] = [],
  ): Promise<R[]> {
    return (await this.exec(stmt, values, before)).rows as R[];
  }

  async run(stmt: Statement, values: unknown[], before: Before[] = []): Promise<number> {
    return (await this.exec(stmt, values, before)).rowCount ?? 0;
  }

  defer(stmt: Statement, values: unknown[]): void {
    this.deferred.push({ name: stmt.name, text: stmt.text, values });
  }

  /** COMMIT, preceded in the same round trip by any deferred write (and BEGIN if nothing ran yet). */
  async commit(): Promise<void> {
    const pending = this.deferred.splice(0);
    if (!this.begun) {
      this.begun = true;
      pending.unshift(...scopeOpening('BEGIN', this.setting), ...this.opening);
    }
    if (pending.length === 0) await this.client.query('COMMIT');
    else await queryWithPrefix(this.client, pending, { name: 'ov_commit', text: 'COMMIT' });
  }

  private exec(stmt: Statement, values: unknown[], before: Before[]): Promise<QueryResult> {
    const config: QueryConfig = { name: stmt.name, text: stmt.text, values };
    const prefix: PrefixStatement[] = this.deferred.splice(0);
    for (const b of before) prefix.push({ name: b.stmt.name, text: b.stmt.text, values: b.values });
    if (!this.begun) {
      this.begun = true;
      prefix.unshift(...scopeOpening('BEGIN', this.setting), ...this.opening);
    }
    return queryWithPrefix(this.client, prefix, config);
  }
}
