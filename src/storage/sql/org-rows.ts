import type { OrgRowStore } from '../stores.js';
import type { Executor } from './executor.js';
import { sql } from './executor.js';

/**
 * Every table that holds an org's rows, in the order they are deleted (dependants first, the
 * organization last). org_keys is not here: the data keys go first, in a unit of work of their
 * own (see src/orgs/org-deletion.ts). A table added by a migration that carries org_id belongs
 * here; the org-deletion test fails for any org_id table this list misses.
 */
export const ORG_ROW_TABLES = [
  'lg_writes',
  'lg_channel_values',
  'lg_checkpoints',
  'checkpoints',
  'credentials',
  'modules',
  'api_keys',
  'audit_events',
  'organizations',
] as const;

const DELETE_ROWS = ORG_ROW_TABLES.map((table) =>
  sql(`orgdel_${table}`, `DELETE FROM ${table} WHERE org_id = ?`),
);

/** Deletes all of one org's rows (orgvault orgs delete). */
export class SqlOrgRowStore implements OrgRowStore {
  constructor(private readonly x: Executor) {}

  async deleteRows(orgId: string): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const [i, table] of ORG_ROW_TABLES.entries()) {
      const statement = DELETE_ROWS[i];
      if (statement !== undefined) removed[table] = await this.x.run(statement, [orgId]);
    }
    return removed;
  }
}
