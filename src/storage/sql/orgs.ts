import type { OrgRow } from '../rows.js';
import type { OrgStore } from '../stores.js';
import type { Executor } from './executor.js';
import { sql } from './executor.js';
import { type OrgColumns, orgFromRecord } from './records.js';

const FIND = sql('orgs_find', 'SELECT org_id, name, plan, created_at FROM organizations WHERE org_id = ?');
const INSERT = sql(
  'orgs_insert',
  'INSERT INTO organizations (org_id, name, plan, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (org_id) DO NOTHING',
);
const UPDATE = sql(
  'orgs_update',
  'UPDATE organizations SET name = ?, plan = ?, created_at = ? WHERE org_id = ?',
);
const LIST = sql('orgs_list', 'SELECT org_id, name, plan, created_at FROM organizations ORDER BY org_id');

/** Organizations (PostgreSQL RLS: a tenant sees its own row only; listing needs the system scope). */
export class SqlOrgStore implements OrgStore {
  constructor(private readonly x: Executor) {}

  async findOrg(orgId: string): Promise<OrgRow | null> {
    const r = await this.x.get<OrgColumns>(FIND, [orgId]);
    return r ? orgFromRecord(r) : null;
  }

  async insertOrg(org: OrgRow): Promise<boolean> {
    return (await this.x.run(INSERT, [org.orgId, org.name, org.plan, org.createdAt])) === 1;
  }

  async updateOrgDetails(org: OrgRow): Promise<boolean> {
    return (await this.x.run(UPDATE, [org.name, org.plan, org.createdAt, org.orgId])) === 1;
  }

  async listOrgs(): Promise<OrgRow[]> {
    return (await this.x.all<OrgColumns>(LIST, [])).map(orgFromRecord);
  }
}
