import { EVER_ISSUED_SQL, MARK_ISSUED_SQL } from '../deployment-marks.js';
import {
  API_KEY_COLUMNS,
  type ApiKeyRecord as ApiKeyRecordOf,
  apiKeyFromRecord,
  apiKeyValues,
} from '../row-records.js';
import type { ApiKeyRow, ApiKeyStore } from '../types.js';
import { BOOTSTRAP_LOCK_SQL } from './advisory-locks.js';
import { one, type Queryable, statement } from './queryable.js';

type ApiKeyRecord = ApiKeyRecordOf<boolean>;
const COLUMNS = API_KEY_COLUMNS;
const toApiKey = (r: ApiKeyRecord): ApiKeyRow => apiKeyFromRecord(r, r.legacy);

const INSERT = statement(
  'key_insert',
  `INSERT INTO api_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
);
const BY_ID = statement('key_by_id', `SELECT ${COLUMNS} FROM api_keys WHERE key_id = $1`);
const BY_LEGACY_HASH = statement(
  'key_by_legacy_hash',
  `SELECT ${COLUMNS} FROM api_keys WHERE hash = $1 AND legacy`,
);
const IN_ORG = statement('key_in_org', `SELECT ${COLUMNS} FROM api_keys WHERE org_id = $1 AND key_id = $2`);
const LIST = statement(
  'key_list',
  `SELECT ${COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, key_id`,
);
const REVOKE = statement(
  'key_revoke',
  "UPDATE api_keys SET status = 'revoked', revoked_at = $1 WHERE org_id = $2 AND key_id = $3 AND status <> 'revoked'",
);
const ROTATED = statement(
  'key_rotated',
  "UPDATE api_keys SET status = 'rotation_pending', rotated_to = $1, grace_until = $2 WHERE org_id = $3 AND key_id = $4 AND status = 'active'",
);
const TOUCH = statement('key_touch', 'UPDATE api_keys SET last_used_at = $1 WHERE key_id = $2');
const EVER_ISSUED = statement('key_ever_issued', EVER_ISSUED_SQL);
const MARK_ISSUED = statement('key_mark_issued', MARK_ISSUED_SQL.replace('?', '$1'));
// One bootstrap at a time across nodes.
const LOCK_BOOTSTRAP = statement('key_lock_bootstrap', BOOTSTRAP_LOCK_SQL);

/**
 * API keys on PostgreSQL. Only hashes are stored. The auth-path lookups (by key id or legacy hash,
 * touch) run in the auth scope, whose RLS policies allow exactly reading keys and writing
 * last_used_at (see migrations.ts).
 */
export class PgApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Queryable) {}

  async insertApiKey(k: ApiKeyRow): Promise<void> {
    await this.db.run(INSERT, apiKeyValues(k, k.legacy));
  }

  async findApiKeyForAuth(keyId: string): Promise<ApiKeyRow | null> {
    const r = await one<ApiKeyRecord>(this.db, BY_ID, [keyId]);
    return r ? toApiKey(r) : null;
  }

  async findLegacyApiKeyByHash(hash: string): Promise<ApiKeyRow | null> {
    const r = await one<ApiKeyRecord>(this.db, BY_LEGACY_HASH, [hash]);
    return r ? toApiKey(r) : null;
  }

  async findApiKey(orgId: string, keyId: string): Promise<ApiKeyRow | null> {
    const r = await one<ApiKeyRecord>(this.db, IN_ORG, [orgId, keyId]);
    return r ? toApiKey(r) : null;
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRow[]> {
    return (await this.db.rows<ApiKeyRecord>(LIST, [orgId])).map(toApiKey);
  }

  async revokeApiKey(orgId: string, keyId: string, now: string): Promise<boolean> {
    return (await this.db.run(REVOKE, [now, orgId, keyId])) === 1;
  }

  async markApiKeyRotated(
    orgId: string,
    keyId: string,
    rotatedTo: string,
    graceUntil: string,
  ): Promise<boolean> {
    return (await this.db.run(ROTATED, [rotatedTo, graceUntil, orgId, keyId])) === 1;
  }

  async touchApiKey(keyId: string, now: string): Promise<void> {
    await this.db.run(TOUCH, [now, keyId]);
  }

  async anyApiKeyEverIssued(): Promise<boolean> {
    return (await one<{ n: number }>(this.db, EVER_ISSUED, []))?.n === 1;
  }

  async markApiKeyIssued(now: string): Promise<void> {
    await this.db.run(MARK_ISSUED, [now]);
  }

  /**
   * Bootstrap's count-then-insert must be atomic across nodes: an advisory lock held until the
   * transaction ends. A separate statement on purpose: under READ COMMITTED the count that follows
   * takes its snapshot after the lock is granted, so it sees the key a previous holder committed.
   */
  async lockBootstrap(): Promise<void> {
    await this.db.rows(LOCK_BOOTSTRAP, []);
  }
}
