import type { MasterKeyCheckRow, OrgKeyRow } from '../rows.js';
import type { MasterKeyStore, OrgKeyStore } from '../stores.js';
import { type Executor, sql } from './executor.js';
import { ORG_KEY_COLUMNS as COLUMNS, type OrgKeyColumns, orgKeyFromRecord } from './records.js';

const CURRENT = sql(
  'okey_current',
  `SELECT ${COLUMNS} FROM org_keys WHERE org_id = ? ORDER BY version DESC LIMIT 1`,
);
const BY_VERSION = sql('okey_by_version', `SELECT ${COLUMNS} FROM org_keys WHERE org_id = ? AND version = ?`);
const INSERT = sql(
  'okey_insert',
  `INSERT INTO org_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, version) DO NOTHING`,
);
const REWRAP = sql(
  'okey_rewrap',
  'UPDATE org_keys SET master_key_id = ?, wrapped = ? WHERE org_id = ? AND version = ?',
);
const ALL = sql('okey_all', `SELECT ${COLUMNS} FROM org_keys ORDER BY org_id, version`);
const IN_USE = sql('okey_in_use', 'SELECT DISTINCT master_key_id FROM org_keys ORDER BY master_key_id');
const DELETE_ORG = sql('okey_delete_org', 'DELETE FROM org_keys WHERE org_id = ?');

/** Wrapped per-org data keys (listing every org's keys needs the system scope). */
export class SqlOrgKeyStore implements OrgKeyStore {
  constructor(private readonly x: Executor) {}

  async findCurrentOrgKey(orgId: string): Promise<OrgKeyRow | null> {
    const r = await this.x.get<OrgKeyColumns>(CURRENT, [orgId]);
    return r ? orgKeyFromRecord(r) : null;
  }

  async findOrgKey(orgId: string, version: number): Promise<OrgKeyRow | null> {
    const r = await this.x.get<OrgKeyColumns>(BY_VERSION, [orgId, version]);
    return r ? orgKeyFromRecord(r) : null;
  }

  async insertOrgKey(orgId: string, row: Omit<OrgKeyRow, 'orgId'>): Promise<boolean> {
    const values = [orgId, row.version, row.masterKeyId, row.wrapped, row.createdAt];
    return (await this.x.run(INSERT, values)) === 1;
  }

  async rewrapOrgKey(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Promise<void> {
    await this.x.run(REWRAP, [masterKeyId, wrapped, orgId, version]);
  }

  async listAllOrgKeys(): Promise<OrgKeyRow[]> {
    return (await this.x.all<OrgKeyColumns>(ALL, [])).map(orgKeyFromRecord);
  }

  async listMasterKeyIdsInUse(): Promise<string[]> {
    return (await this.x.all<{ master_key_id: string }>(IN_USE, [])).map((r) => r.master_key_id);
  }

  async deleteOrgKeys(orgId: string): Promise<number> {
    return this.x.run(DELETE_ORG, [orgId]);
  }
}

const FIND_CHECK = sql(
  'mkey_find',
  'SELECT key_id, check_value, created_at FROM master_keys WHERE key_id = ?',
);
const INSERT_CHECK = sql(
  'mkey_insert',
  'INSERT INTO master_keys (key_id, check_value, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
);

/** Master-key check values: not tenant data (no RLS on PostgreSQL). */
export class SqlMasterKeyStore implements MasterKeyStore {
  constructor(private readonly x: Executor) {}

  async findMasterKeyCheck(keyId: string): Promise<MasterKeyCheckRow | null> {
    const r = await this.x.get<{ key_id: string; check_value: Buffer; created_at: string }>(FIND_CHECK, [
      keyId,
    ]);
    return r ? { keyId: r.key_id, checkValue: r.check_value, createdAt: r.created_at } : null;
  }

  async insertMasterKeyCheck(row: MasterKeyCheckRow): Promise<boolean> {
    return (await this.x.run(INSERT_CHECK, [row.keyId, row.checkValue, row.createdAt])) === 1;
  }
}
