import type { Database } from 'better-sqlite3';
import { type OrgRecord, orgFromRecord } from '../row-records.js';
import type { OrgRow, OrgStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

const toOrg = orgFromRecord;

/** Organizations on SQLite: statements prepared once per connection. */
export class SqliteOrgStore implements OrgStore {
  private readonly find: Stmt<OrgRecord>;
  private readonly insert: Stmt;
  private readonly update: Stmt;
  private readonly list: Stmt<OrgRecord>;

  constructor(db: Database) {
    this.find = prepare(db, 'SELECT org_id, name, plan, created_at FROM organizations WHERE org_id = ?');
    this.insert = prepare(
      db,
      'INSERT INTO organizations (org_id, name, plan, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (org_id) DO NOTHING',
    );
    this.list = prepare(db, 'SELECT org_id, name, plan, created_at FROM organizations ORDER BY org_id');
    this.update = prepare(db, 'UPDATE organizations SET name = ?, plan = ?, created_at = ? WHERE org_id = ?');
  }

  async findOrg(orgId: string): Promise<OrgRow | null> {
    const r = this.find.get(orgId);
    return r ? toOrg(r) : null;
  }

  async insertOrg(org: OrgRow): Promise<boolean> {
    return this.insert.run(org.orgId, org.name, org.plan, org.createdAt).changes === 1;
  }

  async updateOrgDetails(org: OrgRow): Promise<boolean> {
    return this.update.run(org.name, org.plan, org.createdAt, org.orgId).changes === 1;
  }

  async listOrgs(): Promise<OrgRow[]> {
    return this.list.all().map(toOrg);
  }
}
