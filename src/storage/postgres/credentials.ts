import { type CredentialRecord as CredentialRecordOf, credentialFromRecord } from '../row-records.js';
import type { CredentialRow, CredentialStore, CredentialWrite } from '../types.js';
import { one, type Queryable, statement } from './queryable.js';

type CredentialRecord = CredentialRecordOf<string[]>;
const toCredential = (r: CredentialRecord): CredentialRow => credentialFromRecord(r, r.field_names);

const COLUMNS =
  'org_id, module_id, key_version, aad_version, nonce, ciphertext, field_names, created_at, updated_at';
const FIND = statement(
  'cred_find',
  `SELECT ${COLUMNS} FROM credentials WHERE org_id = $1 AND module_id = $2`,
);
// xmax = 0 only on a freshly inserted row: created vs replaced in one atomic statement.
const UPSERT = statement(
  'cred_upsert',
  `INSERT INTO credentials (${COLUMNS})
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     key_version = excluded.key_version, aad_version = excluded.aad_version,
     nonce = excluded.nonce, ciphertext = excluded.ciphertext,
     field_names = excluded.field_names, updated_at = excluded.updated_at
   RETURNING (xmax = 0) AS inserted`,
);
const DELETE = statement('cred_delete', 'DELETE FROM credentials WHERE org_id = $1 AND module_id = $2');
const LIST_IDS = statement(
  'cred_list_ids',
  'SELECT module_id FROM credentials WHERE org_id = $1 ORDER BY module_id',
);
const LIST_OLDER = statement(
  'cred_list_older',
  `SELECT ${COLUMNS} FROM credentials WHERE aad_version < $1 ORDER BY org_id, module_id`,
);

/** Encrypted credentials on PostgreSQL: this adapter never sees a plaintext value. */
export class PgCredentialStore implements CredentialStore {
  constructor(private readonly db: Queryable) {}

  async findCredential(orgId: string, moduleId: string): Promise<CredentialRow | null> {
    const r = await one<CredentialRecord>(this.db, FIND, [orgId, moduleId]);
    return r ? toCredential(r) : null;
  }

  async upsertCredential(orgId: string, w: CredentialWrite): Promise<'created' | 'replaced'> {
    const r = await one<{ inserted: boolean }>(this.db, UPSERT, [
      orgId,
      w.moduleId,
      w.keyVersion,
      w.aadVersion,
      w.nonce,
      w.ciphertext,
      JSON.stringify(w.fieldNames),
      w.createdAt ?? w.now,
      w.now,
    ]);
    return r?.inserted ? 'created' : 'replaced';
  }

  async deleteCredential(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.db.run(DELETE, [orgId, moduleId])) === 1;
  }

  async listCredentialModuleIds(orgId: string): Promise<string[]> {
    return (await this.db.rows<{ module_id: string }>(LIST_IDS, [orgId])).map((r) => r.module_id);
  }

  async listCredentialsSealedBefore(aadVersion: number): Promise<CredentialRow[]> {
    return (await this.db.rows<CredentialRecord>(LIST_OLDER, [aadVersion])).map(toCredential);
  }
}
