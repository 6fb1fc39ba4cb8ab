import { type OrgRecord, orgFromRecord } from '../row-records.js';
import type { OrgRow, OrgStore } from '../types.js';
import { one, type Queryable, statement } from './queryable.js';

const toOrg = orgFromRecord;

const FIND = statement(
  'orgs_find',
  'SELECT org_id, name, plan, created_at FROM organizations WHERE org_id = $1',
);
const INSERT = statement(
  'orgs_insert',
  'INSERT INTO organizations (org_id, name, plan, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO NOTHING',
);
const UPDATE = statement(
  'orgs_update',
  'UPDATE organizations SET name = $1, plan = $2, created_at = $3 WHERE org_id = $4',
);
const LIST = statement(
  'orgs_list',
  'SELECT org_id, name, plan, created_at FROM organizations ORDER BY org_id',
);

/** Organizations on PostgreSQL (RLS: a tenant sees its own row only; listing needs the system scope). */
export class PgOrgStore implements OrgStore {
  constructor(private readonly db: Queryable) {}

  async findOrg(orgId: string): Promise<OrgRow | null> {
    const r = await one<OrgRecord>(this.db, FIND, [orgId]);
    return r ? toOrg(r) : null;
  }

  async insertOrg(org: OrgRow): Promise<boolean> {
    return (await this.db.run(INSERT, [org.orgId, org.name, org.plan, org.createdAt])) === 1;
  }

  async updateOrgDetails(org: OrgRow): Promise<boolean> {
    return (await this.db.run(UPDATE, [org.name, org.plan, org.createdAt, org.orgId])) === 1;
  }

  async listOrgs(): Promise<OrgRow[]> {
    return (await this.db.rows<OrgRecord>(LIST, [])).map(toOrg);
  }
}
