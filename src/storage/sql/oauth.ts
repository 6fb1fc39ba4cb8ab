import type { OAuthConnectionRow, OAuthStateRow } from '../rows.js';
import type { OAuthStore } from '../stores.js';
import { type Executor, sql } from './executor.js';

const INSERT_STATE = sql(
  'oauth_state_insert',
  `INSERT INTO oauth_states (org_id, state_hash, module_id, key_id, verifier_nonce, verifier_sealed, return_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
// Found by its hash alone (the callback knows no org), deleted in the same statement: single use.
const CONSUME_STATE = sql(
  'oauth_state_consume',
  `DELETE FROM oauth_states WHERE state_hash = ? RETURNING org_id, state_hash, module_id, key_id, verifier_nonce, verifier_sealed, return_to, created_at, expires_at`,
);
const DELETE_EXPIRED_STATES = sql(
  'oauth_state_delete_expired',
  'DELETE FROM oauth_states WHERE org_id = ? AND expires_at < ?',
);
const FIND_CONNECTION = sql(
  'oauth_conn_find',
  `SELECT org_id, module_id, status, scopes, expires_at, connected_at, updated_at FROM oauth_connections WHERE org_id = ? AND module_id = ?`,
);
const UPSERT_CONNECTION = sql(
  'oauth_conn_upsert',
  `INSERT INTO oauth_connections (org_id, module_id, status, scopes, expires_at, connected_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     status = excluded.status, scopes = excluded.scopes, expires_at = excluded.expires_at,
     connected_at = excluded.connected_at, updated_at = excluded.updated_at`,
);
const SET_STATUS = sql(
  'oauth_conn_status',
  'UPDATE oauth_connections SET status = ?, updated_at = ? WHERE org_id = ? AND module_id = ? AND status <> ?',
);
const DELETE_CONNECTION = sql(
  'oauth_conn_delete',
  'DELETE FROM oauth_connections WHERE org_id = ? AND module_id = ?',
);

interface StateColumns {
  org_id: string;
  state_hash: string;
  module_id: string;
  key_id: string | null;
  verifier_nonce: Buffer;
  verifier_sealed: Buffer;
  return_to: string | null;
  created_at: string;
  expires_at: string;
}

interface ConnectionColumns {
  org_id: string;
  module_id: string;
  status: OAuthConnectionRow['status'];
  scopes: unknown;
  expires_at: string | null;
  connected_at: string;
  updated_at: string;
}

/** OAuth2 states and connection facts; no token ever passes through this store. */
export class SqlOAuthStore implements OAuthStore {
  constructor(private readonly x: Executor) {}

  async insertOAuthState(orgId: string, r: Omit<OAuthStateRow, 'orgId'>): Promise<void> {
    await this.x.run(INSERT_STATE, [
      orgId,
      r.stateHash,
      r.moduleId,
      r.keyId,
      r.verifierNonce,
      r.verifierSealed,
      r.returnTo,
      r.createdAt,
      r.expiresAt,
    ]);
  }

  async consumeOAuthState(stateHash: string): Promise<OAuthStateRow | null> {
    const r = await this.x.get<StateColumns>(CONSUME_STATE, [stateHash]);
    if (r === null) return null;
    return {
      orgId: r.org_id,
      stateHash: r.state_hash,
      moduleId: r.module_id,
      keyId: r.key_id,
      verifierNonce: Buffer.from(r.verifier_nonce),
      verifierSealed: Buffer.from(r.verifier_sealed),
      returnTo: r.return_to,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    };
  }

  async deleteExpiredOAuthStates(orgId: string, now: string): Promise<void> {
    await this.x.run(DELETE_EXPIRED_STATES, [orgId, now]);
  }

  async findOAuthConnection(orgId: string, moduleId: string): Promise<OAuthConnectionRow | null> {
    const r = await this.x.get<ConnectionColumns>(FIND_CONNECTION, [orgId, moduleId]);
    if (r === null) return null;
    return {
      orgId: r.org_id,
      moduleId: r.module_id,
      status: r.status,
      scopes: this.x.json<string[]>(r.scopes),
      expiresAt: r.expires_at,
      connectedAt: r.connected_at,
      updatedAt: r.updated_at,
    };
  }

  async upsertOAuthConnection(orgId: string, r: Omit<OAuthConnectionRow, 'orgId'>): Promise<void> {
    await this.x.run(UPSERT_CONNECTION, [
      orgId,
      r.moduleId,
      r.status,
      JSON.stringify(r.scopes),
      r.expiresAt,
      r.connectedAt,
      r.updatedAt,
    ]);
  }

  async setOAuthConnectionStatus(
    orgId: string,
    moduleId: string,
    status: OAuthConnectionRow['status'],
    now: string,
  ): Promise<boolean> {
    return (await this.x.run(SET_STATUS, [status, now, orgId, moduleId, status])) === 1;
  }

  async deleteOAuthConnection(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.x.run(DELETE_CONNECTION, [orgId, moduleId])) === 1;
  }
}
