import type { ApiKeyRow } from '../rows.js';
import type { ApiKeyStore } from '../stores.js';
import { type Executor, sql } from './executor.js';
import { type ApiKeyColumns, apiKeyFromRecord, apiKeyValues, API_KEY_COLUMNS as COLUMNS } from './records.js';

const INSERT = sql(
  'key_insert',
  `INSERT INTO api_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
const BY_ID = sql('key_by_id', `SELECT ${COLUMNS} FROM api_keys WHERE key_id = ?`);
// `AND legacy`: a boolean on PostgreSQL, 0/1 on SQLite; both read it as a condition.
const BY_LEGACY_HASH = sql('key_by_legacy_hash', `SELECT ${COLUMNS} FROM api_keys WHERE hash = ? AND legacy`);
const IN_ORG = sql('key_in_org', `SELECT ${COLUMNS} FROM api_keys WHERE org_id = ? AND key_id = ?`);
const LIST = sql('key_list', `SELECT ${COLUMNS} FROM api_keys WHERE org_id = ? ORDER BY created_at, key_id`);
const REVOKE = sql(
  'key_revoke',
  "UPDATE api_keys SET status = 'revoked', revoked_at = ? WHERE org_id = ? AND key_id = ? AND status <> 'revoked'",
);
const ROTATED = sql(
  'key_rotated',
  "UPDATE api_keys SET status = 'rotation_pending', rotated_to = ?, grace_until = ? WHERE org_id = ? AND key_id = ? AND status = 'active'",
);
// A hint for people: verification never reads it, so its write leaves the verification cache warm.
const TOUCH = sql('key_touch', 'UPDATE api_keys SET last_used_at = ? WHERE key_id = ?', { hint: true });
// The console's sign-out time rides along with the key's row (src/console/session.ts); no cached
// verification decision reads it, so its write leaves the verification cache warm.
const FOR_CONSOLE = sql(
  'key_for_console',
  `SELECT ${COLUMNS}, console_signed_out_at FROM api_keys WHERE key_id = ?`,
);
const CONSOLE_SIGN_OUT = sql(
  'key_console_sign_out',
  'UPDATE api_keys SET console_signed_out_at = ? WHERE org_id = ? AND key_id = ?',
  { hint: true },
);
/**
 * Deployment marks (a table without tenant data, so no RLS on PostgreSQL): that a key was ever
 * issued closes bootstrap for good, even after every key is revoked, expires or goes with its org.
 */
const EVER_ISSUED = sql(
  'key_ever_issued',
  `SELECT CASE WHEN EXISTS (SELECT 1 FROM api_keys)
     OR EXISTS (SELECT 1 FROM deployment_marks WHERE name = 'api_key_issued') THEN 1 ELSE 0 END AS n`,
);
const MARK_ISSUED = sql(
  'key_mark_issued',
  "INSERT INTO deployment_marks (name, at) VALUES ('api_key_issued', ?) ON CONFLICT (name) DO NOTHING",
);

/**
 * API keys; only hashes are stored. The auth-path lookups (by key id or legacy hash, touch) run in
 * the auth scope, whose PostgreSQL policies allow exactly reading keys and writing last_used_at.
 */
export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly x: Executor) {}

  async insertApiKey(orgId: string, k: Omit<ApiKeyRow, 'orgId'>): Promise<void> {
    await this.x.run(INSERT, apiKeyValues({ ...k, orgId }));
  }

  async findApiKeyForAuth(keyId: string): Promise<ApiKeyRow | null> {
    const r = await this.x.get<ApiKeyColumns>(BY_ID, [keyId]);
    return r ? apiKeyFromRecord(r) : null;
  }

  async findApiKeyForConsole(
    keyId: string,
  ): Promise<{ key: ApiKeyRow; consoleSignedOutAt: string | null } | null> {
    const r = await this.x.get<ApiKeyColumns & { console_signed_out_at: string | null }>(FOR_CONSOLE, [
      keyId,
    ]);
    return r ? { key: apiKeyFromRecord(r), consoleSignedOutAt: r.console_signed_out_at } : null;
  }

  async markConsoleSignOut(orgId: string, keyId: string, at: string): Promise<void> {
    await this.x.run(CONSOLE_SIGN_OUT, [at, orgId, keyId]);
  }

  async findLegacyApiKeyByHash(hash: string): Promise<ApiKeyRow | null> {
    const r = await this.x.get<ApiKeyColumns>(BY_LEGACY_HASH, [hash]);
    return r ? apiKeyFromRecord(r) : null;
  }

  async findApiKey(orgId: string, keyId: string): Promise<ApiKeyRow | null> {
    const r = await this.x.get<ApiKeyColumns>(IN_ORG, [orgId, keyId]);
    return r ? apiKeyFromRecord(r) : null;
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRow[]> {
    return (await this.x.all<ApiKeyColumns>(LIST, [orgId])).map(apiKeyFromRecord);
  }

  async revokeApiKey(orgId: string, keyId: string, now: string): Promise<boolean> {
    return (await this.x.run(REVOKE, [now, orgId, keyId])) === 1;
  }

  async markApiKeyRotated(
    orgId: string,
    keyId: string,
    rotatedTo: string,
    graceUntil: string,
  ): Promise<boolean> {
    return (await this.x.run(ROTATED, [rotatedTo, graceUntil, orgId, keyId])) === 1;
  }

  async touchApiKey(keyId: string, now: string): Promise<void> {
    await this.x.run(TOUCH, [now, keyId]);
  }

  async anyApiKeyEverIssued(): Promise<boolean> {
    return (await this.x.get<{ n: number }>(EVER_ISSUED, []))?.n === 1;
  }

  async markApiKeyIssued(now: string): Promise<void> {
    await this.x.run(MARK_ISSUED, [now]);
  }

  lockBootstrap(): void {
    this.x.lock('bootstrap', '');
  }
}
