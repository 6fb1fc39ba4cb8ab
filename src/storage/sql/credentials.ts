import type { CredentialRow, CredentialWrite, SealedCredential } from '../rows.js';
import type { CredentialStore } from '../stores.js';
import { type Executor, sql } from './executor.js';
import { type CredentialColumns, credentialFromRecord } from './records.js';

const COLUMNS =
  'org_id, module_id, key_version, aad_version, nonce, ciphertext, field_names, created_at, updated_at';

const FIND = sql('cred_find', `SELECT ${COLUMNS} FROM credentials WHERE org_id = ? AND module_id = ?`);
// The sealed credential with the manifest it opens for, in one statement (one round trip on
// PostgreSQL); only the columns opening it needs, not the metadata (names, times).
const FIND_WITH_MANIFEST = sql(
  'cred_find_with_manifest',
  `SELECT c.key_version, c.aad_version, c.nonce, c.ciphertext, m.manifest
   FROM credentials c JOIN modules m ON m.org_id = c.org_id AND m.module_id = c.module_id
   WHERE c.org_id = ? AND c.module_id = ?`,
);
const EXISTS = sql('cred_exists', 'SELECT 1 AS n FROM credentials WHERE org_id = ? AND module_id = ?');
const UPSERT = sql(
  'cred_upsert',
  `INSERT INTO credentials (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, module_id) DO UPDATE SET
     key_version = excluded.key_version, aad_version = excluded.aad_version,
     nonce = excluded.nonce, ciphertext = excluded.ciphertext,
     field_names = excluded.field_names, updated_at = excluded.updated_at`,
);
const DELETE = sql('cred_delete', 'DELETE FROM credentials WHERE org_id = ? AND module_id = ?');
const LIST_IDS = sql(
  'cred_list_ids',
  'SELECT module_id FROM credentials WHERE org_id = ? ORDER BY module_id',
);
const LIST_OLDER = sql(
  'cred_list_older',
  `SELECT ${COLUMNS} FROM credentials WHERE aad_version < ? ORDER BY org_id, module_id`,
);

type SealedColumns = Pick<CredentialColumns, 'key_version' | 'aad_version' | 'nonce' | 'ciphertext'> & {
  manifest: unknown;
};

/** Encrypted credentials: this store never sees a plaintext value. */
export class SqlCredentialStore implements CredentialStore {
  constructor(private readonly x: Executor) {}

  private row(r: CredentialColumns): CredentialRow {
    return credentialFromRecord(r, this.x.json<string[]>(r.field_names));
  }

  async findCredential(orgId: string, moduleId: string): Promise<CredentialRow | null> {
    const r = await this.x.get<CredentialColumns>(FIND, [orgId, moduleId]);
    return r ? this.row(r) : null;
  }

  async findCredentialWithManifest(
    orgId: string,
    moduleId: string,
  ): Promise<{ row: SealedCredential; manifest: Record<string, unknown> } | null> {
    const r = await this.x.get<SealedColumns>(FIND_WITH_MANIFEST, [orgId, moduleId]);
    if (r === null) return null;
    const row: SealedCredential = {
      orgId,
      moduleId,
      keyVersion: r.key_version,
      aadVersion: r.aad_version,
      nonce: r.nonce,
      ciphertext: r.ciphertext,
    };
    return { row, manifest: this.x.json<Record<string, unknown>>(r.manifest) };
  }

  async upsertCredential(orgId: string, w: CredentialWrite): Promise<'created' | 'replaced'> {
    const values = [
      orgId,
      w.moduleId,
      w.keyVersion,
      w.aadVersion,
      w.nonce,
      w.ciphertext,
      JSON.stringify(w.fieldNames),
      w.createdAt ?? w.now,
      w.now,
    ];
    const { inserted } = await this.x.upsert(UPSERT, values, EXISTS, [orgId, w.moduleId], w.existed);
    return inserted ? 'created' : 'replaced';
  }

  async deleteCredential(orgId: string, moduleId: string): Promise<boolean> {
    return (await this.x.run(DELETE, [orgId, moduleId])) === 1;
  }

  async listCredentialModuleIds(orgId: string): Promise<string[]> {
    return (await this.x.all<{ module_id: string }>(LIST_IDS, [orgId])).map((r) => r.module_id);
  }

  async listCredentialsSealedBefore(aadVersion: number): Promise<CredentialRow[]> {
    return (await this.x.all<CredentialColumns>(LIST_OLDER, [aadVersion])).map((r) => this.row(r));
  }
}
