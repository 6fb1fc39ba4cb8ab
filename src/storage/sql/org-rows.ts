import type { OrgRowStore } from '../stores.js';
import type { Executor } from './executor.js';
import { type Sql, sql } from './executor.js';

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
  'tool_results',
  'checkpoints',
  'oauth_states',
  'oauth_connections',
  'credentials',
  'modules',
  'api_keys',
  'audit_events',
  'organizations',
] as const;

/** One literal statement per table (no table name is ever interpolated into SQL). */
const DELETE_ROWS: Record<(typeof ORG_ROW_TABLES)[number], Sql> = {
  lg_writes: sql('orgdel_lg_writes', 'DELETE FROM lg_writes WHERE org_id = ?'),
  lg_channel_values: sql('orgdel_lg_channel_values', 'DELETE FROM lg_channel_values WHERE org_id = ?'),
  lg_checkpoints: sql('orgdel_lg_checkpoints', 'DELETE FROM lg_checkpoints WHERE org_id = ?'),
  tool_results: sql('orgdel_tool_results', 'DELETE FROM tool_results WHERE org_id = ?'),
  oauth_states: sql('orgdel_oauth_states', 'DELETE FROM oauth_states WHERE org_id = ?'),
  oauth_connections: sql('orgdel_oauth_connections', 'DELETE FROM oauth_connections WHERE org_id = ?'),
  checkpoints: sql('orgdel_checkpoints', 'DELETE FROM checkpoints WHERE org_id = ?'),
  credentials: sql('orgdel_credentials', 'DELETE FROM credentials WHERE org_id = ?'),
  modules: sql('orgdel_modules', 'DELETE FROM modules WHERE org_id = ?'),
  api_keys: sql('orgdel_api_keys', 'DELETE FROM api_keys WHERE org_id = ?'),
  audit_events: sql('orgdel_audit_events', 'DELETE FROM audit_events WHERE org_id = ?'),
  organizations: sql('orgdel_organizations', 'DELETE FROM organizations WHERE org_id = ?'),
};

/** Deletes all of one org's rows (orgvault orgs delete). */
export class SqlOrgRowStore implements OrgRowStore {
  constructor(private readonly x: Executor) {}

  async deleteRows(orgId: string): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const table of ORG_ROW_TABLES) removed[table] = await this.x.run(DELETE_ROWS[table], [orgId]);
    return removed;
  }
}
