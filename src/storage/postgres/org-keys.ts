import { ORG_KEY_COLUMNS, type OrgKeyRecord, orgKeyFromRecord } from '../row-records.js';
import type { MasterKeyCheckRow, MasterKeyStore, OrgKeyRow, OrgKeyStore } from '../types.js';
import { one, type Queryable, statement } from './queryable.js';

const toOrgKey = orgKeyFromRecord;
const COLUMNS = ORG_KEY_COLUMNS;

const CURRENT = statement(
  'okey_current',
  `SELECT ${COLUMNS} FROM org_keys WHERE org_id = $1 ORDER BY version DESC LIMIT 1`,
);
const BY_VERSION = statement(
  'okey_by_version',
  `SELECT ${COLUMNS} FROM org_keys WHERE org_id = $1 AND version = $2`,
);
const INSERT = statement(
  'okey_insert',
  `INSERT INTO org_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, version) DO NOTHING`,
);
const REWRAP = statement(
  'okey_rewrap',
  'UPDATE org_keys SET master_key_id = $1, wrapped = $2 WHERE org_id = $3 AND version = $4',
);
const ALL = statement('okey_all', `SELECT ${COLUMNS} FROM org_keys ORDER BY org_id, version`);
const IN_USE = statement('okey_in_use', 'SELECT DISTINCT master_key_id FROM org_keys ORDER BY master_key_id');

/** Wrapped per-org data keys on PostgreSQL (listing every org's keys needs the system scope). */
export class PgOrgKeyStore implements OrgKeyStore {
  constructor(private readonly db: Queryable) {}

  async findCurrentOrgKey(orgId: string): Promise<OrgKeyRow | null> {
    const r = await one<OrgKeyRecord>(this.db, CURRENT, [orgId]);
    return r ? toOrgKey(r) : null;
  }

  async findOrgKey(orgId: string, version: number): Promise<OrgKeyRow | null> {
    const r = await one<OrgKeyRecord>(this.db, BY_VERSION, [orgId, version]);
    return r ? toOrgKey(r) : null;
  }

  async insertOrgKey(row: OrgKeyRow): Promise<boolean> {
    const n = await this.db.run(INSERT, [
      row.orgId,
      row.version,
      row.masterKeyId,
      row.wrapped,
      row.createdAt,
    ]);
    return n === 1;
  }

  async rewrapOrgKey(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Promise<void> {
    await this.db.run(REWRAP, [masterKeyId, wrapped, orgId, version]);
  }

  async listAllOrgKeys(): Promise<OrgKeyRow[]> {
    return (await this.db.rows<OrgKeyRecord>(ALL, [])).map(toOrgKey);
  }

  async listMasterKeyIdsInUse(): Promise<string[]> {
    return (await this.db.rows<{ master_key_id: string }>(IN_USE, [])).map((r) => r.master_key_id);
  }
}

const FIND_CHECK = statement(
  'mkey_find',
  'SELECT key_id, check_value, created_at FROM master_keys WHERE key_id = $1',
);
const INSERT_CHECK = statement(
  'mkey_insert',
  'INSERT INTO master_keys (key_id, check_value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING',
);

/** Master-key check values: not tenant data, so master_keys has no RLS. */
export class PgMasterKeyStore implements MasterKeyStore {
  constructor(private readonly db: Queryable) {}

  async findMasterKeyCheck(keyId: string): Promise<MasterKeyCheckRow | null> {
    const r = await one<{ key_id: string; check_value: Buffer; created_at: string }>(this.db, FIND_CHECK, [
      keyId,
    ]);
    return r ? { keyId: r.key_id, checkValue: r.check_value, createdAt: r.created_at } : null;
  }

  async insertMasterKeyCheck(row: MasterKeyCheckRow): Promise<boolean> {
    return (await this.db.run(INSERT_CHECK, [row.keyId, row.checkValue, row.createdAt])) === 1;
  }
}
