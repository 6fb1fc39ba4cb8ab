import type { Database } from 'better-sqlite3';
import type { CredentialRow, CredentialStore, CredentialWrite } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

interface CredentialRecord {
  org_id: string;
  module_id: string;
  key_version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  field_names: string;
  created_at: string;
  updated_at: string;
}

const toCredential = (r: CredentialRecord): CredentialRow => ({
  orgId: r.org_id,
  moduleId: r.module_id,
  keyVersion: r.key_version,
  nonce: r.nonce,
  ciphertext: r.ciphertext,
  fieldNames: JSON.parse(r.field_names) as string[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Encrypted credentials on SQLite: this adapter never sees a plaintext value. */
export class SqliteCredentialStore implements CredentialStore {
  private readonly find: Stmt<CredentialRecord>;
  private readonly exists: Stmt<{ n: number }>;
  private readonly upsert: Stmt;
  private readonly remove: Stmt;
  private readonly listIds: Stmt<{ module_id: string }>;

  constructor(db: Database) {
    this.find = prepare(
      db,
      'SELECT org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at FROM credentials WHERE org_id = ? AND module_id = ?',
    );
    this.exists = prepare(db, 'SELECT 1 AS n FROM credentials WHERE org_id = ? AND module_id = ?');
    this.upsert = prepare(
      db,
      `INSERT INTO credentials (org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, module_id) DO UPDATE SET
         key_version = excluded.key_version, nonce = excluded.nonce, ciphertext = excluded.ciphertext,
         field_names = excluded.field_names, updated_at = excluded.updated_at`,
    );
    this.remove = prepare(db, 'DELETE FROM credentials WHERE org_id = ? AND module_id = ?');
    this.listIds = prepare(db, 'SELECT module_id FROM credentials WHERE org_id = ? ORDER BY module_id');
  }

  async findCredential(orgId: string, moduleId: string): Promise<CredentialRow | null> {
    const r = this.find.get(orgId, moduleId);
    return r ? toCredential(r) : null;
  }

  async upsertCredential(orgId: string, w: CredentialWrite): Promise<'created' | 'replaced'> {
    const existed = this.exists.get(orgId, w.moduleId) !== undefined;
    this.upsert.run(
      orgId,
      w.moduleId,
      w.keyVersion,
      w.nonce,
      w.ciphertext,
      JSON.stringify(w.fieldNames),
      w.createdAt ?? w.now,
      w.now,
    );
    return existed ? 'replaced' : 'created';
  }

  async deleteCredential(orgId: string, moduleId: string): Promise<boolean> {
    return this.remove.run(orgId, moduleId).changes === 1;
  }

  async listCredentialModuleIds(orgId: string): Promise<string[]> {
    return this.listIds.all(orgId).map((r) => r.module_id);
  }
}
