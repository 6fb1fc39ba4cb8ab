import type { Database } from 'better-sqlite3';
import { type CredentialRecord as CredentialRecordOf, credentialFromRecord } from '../row-records.js';
import type { CredentialRow, CredentialStore, CredentialWrite } from '../types.js';
import { prepare, type Stmt } from './prepare.js';

type CredentialRecord = CredentialRecordOf<string>;
const COLUMNS =
  'org_id, module_id, key_version, aad_version, nonce, ciphertext, field_names, created_at, updated_at';
const toCredential = (r: CredentialRecord): CredentialRow =>
  credentialFromRecord(r, JSON.parse(r.field_names) as string[]);

/** Encrypted credentials on SQLite: this adapter never sees a plaintext value. */
export class SqliteCredentialStore implements CredentialStore {
  private readonly find: Stmt<CredentialRecord>;
  private readonly exists: Stmt<{ n: number }>;
  private readonly upsert: Stmt;
  private readonly remove: Stmt;
  private readonly listIds: Stmt<{ module_id: string }>;
  private readonly listOlder: Stmt<CredentialRecord>;

  constructor(db: Database) {
    this.find = prepare(db, `SELECT ${COLUMNS} FROM credentials WHERE org_id = ? AND module_id = ?`);
    this.exists = prepare(db, 'SELECT 1 AS n FROM credentials WHERE org_id = ? AND module_id = ?');
    this.upsert = prepare(
      db,
      `INSERT INTO credentials (${COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, module_id) DO UPDATE SET
         key_version = excluded.key_version, aad_version = excluded.aad_version,
         nonce = excluded.nonce, ciphertext = excluded.ciphertext,
         field_names = excluded.field_names, updated_at = excluded.updated_at`,
    );
    this.remove = prepare(db, 'DELETE FROM credentials WHERE org_id = ? AND module_id = ?');
    this.listIds = prepare(db, 'SELECT module_id FROM credentials WHERE org_id = ? ORDER BY module_id');
    this.listOlder = prepare(
      db,
      `SELECT ${COLUMNS} FROM credentials WHERE aad_version < ? ORDER BY org_id, module_id`,
    );
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
      w.aadVersion,
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

  async listCredentialsSealedBefore(aadVersion: number): Promise<CredentialRow[]> {
    return this.listOlder.all(aadVersion).map(toCredential);
  }
}
