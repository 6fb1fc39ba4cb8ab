import type { Database } from 'better-sqlite3';
import { EVER_ISSUED_SQL, MARK_ISSUED_SQL } from '../deployment-marks.js';
import {
  API_KEY_COLUMNS,
  type ApiKeyRecord as ApiKeyRecordOf,
  apiKeyFromRecord,
  apiKeyValues,
} from '../row-records.js';
import type { ApiKeyRow, ApiKeyStore } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

type ApiKeyRecord = ApiKeyRecordOf<number>;
const COLUMNS = API_KEY_COLUMNS;
const toApiKey = (r: ApiKeyRecord): ApiKeyRow => apiKeyFromRecord(r, r.legacy === 1);

/** API keys on SQLite. Only hashes are stored; the auth-path lookups are by key id or legacy hash. */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly insert: Stmt;
  private readonly byId: Stmt<ApiKeyRecord>;
  private readonly byLegacyHash: Stmt<ApiKeyRecord>;
  private readonly inOrg: Stmt<ApiKeyRecord>;
  private readonly list: Stmt<ApiKeyRecord>;
  private readonly revoke: Stmt;
  private readonly rotated: Stmt;
  private readonly touch: Stmt;
  private readonly everIssued: Stmt<{ n: number }>;
  private readonly markIssued: Stmt;

  constructor(db: Database) {
    this.insert = prepare(
      db,
      `INSERT INTO api_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byId = prepare(db, `SELECT ${COLUMNS} FROM api_keys WHERE key_id = ?`);
    this.byLegacyHash = prepare(db, `SELECT ${COLUMNS} FROM api_keys WHERE hash = ? AND legacy = 1`);
    this.inOrg = prepare(db, `SELECT ${COLUMNS} FROM api_keys WHERE org_id = ? AND key_id = ?`);
    this.list = prepare(db, `SELECT ${COLUMNS} FROM api_keys WHERE org_id = ? ORDER BY created_at, key_id`);
    this.revoke = prepare(
      db,
      "UPDATE api_keys SET status = 'revoked', revoked_at = ? WHERE org_id = ? AND key_id = ? AND status <> 'revoked'",
    );
    this.rotated = prepare(
      db,
      "UPDATE api_keys SET status = 'rotation_pending', rotated_to = ?, grace_until = ? WHERE org_id = ? AND key_id = ? AND status = 'active'",
    );
    this.touch = prepare(db, 'UPDATE api_keys SET last_used_at = ? WHERE key_id = ?');
    this.everIssued = prepare(db, EVER_ISSUED_SQL);
    this.markIssued = prepare(db, MARK_ISSUED_SQL);
  }

  async insertApiKey(k: ApiKeyRow): Promise<void> {
    this.insert.run(...apiKeyValues(k, k.legacy ? 1 : 0));
  }

  async findApiKeyForAuth(keyId: string): Promise<ApiKeyRow | null> {
    const r = this.byId.get(keyId);
    return r ? toApiKey(r) : null;
  }

  async findLegacyApiKeyByHash(hash: string): Promise<ApiKeyRow | null> {
    const r = this.byLegacyHash.get(hash);
    return r ? toApiKey(r) : null;
  }

  async findApiKey(orgId: string, keyId: string): Promise<ApiKeyRow | null> {
    const r = this.inOrg.get(orgId, keyId);
    return r ? toApiKey(r) : null;
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRow[]> {
    return this.list.all(orgId).map(toApiKey);
  }

  async revokeApiKey(orgId: string, keyId: string, now: string): Promise<boolean> {
    return this.revoke.run(now, orgId, keyId).changes === 1;
  }

  async markApiKeyRotated(
    orgId: string,
    keyId: string,
    rotatedTo: string,
    graceUntil: string,
  ): Promise<boolean> {
    return this.rotated.run(rotatedTo, graceUntil, orgId, keyId).changes === 1;
  }

  async touchApiKey(keyId: string, now: string): Promise<void> {
    this.touch.run(now, keyId);
  }

  async anyApiKeyEverIssued(): Promise<boolean> {
    return (this.everIssued.get()?.n ?? 0) === 1;
  }

  async markApiKeyIssued(now: string): Promise<void> {
    this.markIssued.run(now);
  }

  /** Transactions on this adapter are already serialised (BEGIN IMMEDIATE, queued). */
  async lockBootstrap(): Promise<void> {}
}
