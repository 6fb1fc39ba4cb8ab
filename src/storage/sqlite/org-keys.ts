import type { Database } from 'better-sqlite3';
import { ORG_KEY_COLUMNS, type OrgKeyRecord, orgKeyFromRecord } from '../row-records.js';
import type { MasterKeyCheckRow, MasterKeyStore, OrgKeyRow, OrgKeyStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

const toOrgKey = orgKeyFromRecord;
const COLUMNS = ORG_KEY_COLUMNS;

/** Wrapped per-org data keys on SQLite. */
export class SqliteOrgKeyStore implements OrgKeyStore {
  private readonly current: Stmt<OrgKeyRecord>;
  private readonly byVersion: Stmt<OrgKeyRecord>;
  private readonly insert: Stmt;
  private readonly rewrap: Stmt;
  private readonly all: Stmt<OrgKeyRecord>;
  private readonly inUse: Stmt<{ master_key_id: string }>;

  constructor(db: Database) {
    this.current = prepare(
      db,
      `SELECT ${COLUMNS} FROM org_keys WHERE org_id = ? ORDER BY version DESC LIMIT 1`,
    );
    this.byVersion = prepare(db, `SELECT ${COLUMNS} FROM org_keys WHERE org_id = ? AND version = ?`);
    this.insert = prepare(
      db,
      `INSERT INTO org_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, version) DO NOTHING`,
    );
    this.rewrap = prepare(
      db,
      'UPDATE org_keys SET master_key_id = ?, wrapped = ? WHERE org_id = ? AND version = ?',
    );
    this.all = prepare(db, `SELECT ${COLUMNS} FROM org_keys ORDER BY org_id, version`);
    this.inUse = prepare(db, 'SELECT DISTINCT master_key_id FROM org_keys ORDER BY master_key_id');
  }

  async findCurrentOrgKey(orgId: string): Promise<OrgKeyRow | null> {
    const r = this.current.get(orgId);
    return r ? toOrgKey(r) : null;
  }

  async findOrgKey(orgId: string, version: number): Promise<OrgKeyRow | null> {
    const r = this.byVersion.get(orgId, version);
    return r ? toOrgKey(r) : null;
  }

  async insertOrgKey(row: OrgKeyRow): Promise<boolean> {
    return this.insert.run(row.orgId, row.version, row.masterKeyId, row.wrapped, row.createdAt).changes === 1;
  }

  async rewrapOrgKey(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Promise<void> {
    this.rewrap.run(masterKeyId, wrapped, orgId, version);
  }

  async listAllOrgKeys(): Promise<OrgKeyRow[]> {
    return this.all.all().map(toOrgKey);
  }

  async listMasterKeyIdsInUse(): Promise<string[]> {
    return this.inUse.all().map((r) => r.master_key_id);
  }
}

/** Check values of master keys: how a wrong key is caught at open instead of producing garbage. */
export class SqliteMasterKeyStore implements MasterKeyStore {
  private readonly find: Stmt<{ key_id: string; check_value: Buffer; created_at: string }>;
  private readonly insert: Stmt;

  constructor(db: Database) {
    this.find = prepare(db, 'SELECT key_id, check_value, created_at FROM master_keys WHERE key_id = ?');
    this.insert = prepare(
      db,
      'INSERT INTO master_keys (key_id, check_value, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
    );
  }

  async findMasterKeyCheck(keyId: string): Promise<MasterKeyCheckRow | null> {
    const r = this.find.get(keyId);
    return r ? { keyId: r.key_id, checkValue: r.check_value, createdAt: r.created_at } : null;
  }

  async insertMasterKeyCheck(row: MasterKeyCheckRow): Promise<boolean> {
    return this.insert.run(row.keyId, row.checkValue, row.createdAt).changes === 1;
  }
}
