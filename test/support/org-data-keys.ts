import { MasterKeyring, parseMasterKeys } from '../../src/crypto/master-keyring.js';
import type { FreshDatabase } from './backends.js';
import { rawQuery, rawSql } from './raw-sql.js';

/** The associated data of a wrapped org data key, as src/crypto/org-keys.ts writes it. */
const wrapAad = (orgId: string, version: number, masterKeyId: string) =>
  Buffer.from(`orgvault/dek/v1\0${orgId}\0${version}\0${masterKeyId}`);

interface OrgKeyRow {
  master_key_id: string;
  wrapped: Buffer;
}

async function orgKeyRow(db: FreshDatabase, orgId: string, version: number): Promise<OrgKeyRow> {
  const [row] = await rawQuery<OrgKeyRow>(
    db,
    orgId,
    'SELECT master_key_id, wrapped FROM org_keys WHERE org_id = ? AND version = ?',
    [orgId, version],
  );
  if (row === undefined) throw new Error(`org ${orgId} has no data key version ${version}`);
  return row;
}

/** The org's data key of that version, unwrapped with the database's master key (as a holder of it could). */
export async function orgDataKey(db: FreshDatabase, orgId: string, version = 1): Promise<Buffer> {
  const keyring = new MasterKeyring(parseMasterKeys(db.options.masterKey));
  const row = await orgKeyRow(db, orgId, version);
  const dataKey = keyring.unwrap(row.master_key_id, row.wrapped, wrapAad(orgId, version, row.master_key_id));
  if (dataKey === null) throw new Error(`the data key of ${orgId} does not unwrap: wrap format changed?`);
  return dataKey;
}

/**
 * Plays an attacker who holds the master key and SQL access: unwraps `from`'s data key and wraps it,
 * correctly, as `to`'s key of the same version. Afterwards both orgs have the same data key, so
 * only the associated data of a credential still tells their ciphertexts apart. A vault opened
 * before this call may have `to`'s old key cached: open a new one.
 */
export async function shareDataKey(
  db: FreshDatabase,
  from: string,
  to: string,
  version = 1,
): Promise<Buffer> {
  const keyring = new MasterKeyring(parseMasterKeys(db.options.masterKey));
  const dataKey = await orgDataKey(db, from, version);
  const target = await orgKeyRow(db, to, version);
  const rewrapped = keyring.wrap(target.master_key_id, dataKey, wrapAad(to, version, target.master_key_id));
  const changed = await rawSql(db, to, 'UPDATE org_keys SET wrapped = ? WHERE org_id = ? AND version = ?', [
    rewrapped,
    to,
    version,
  ]);
  if (changed !== 1) throw new Error(`org ${to} data key not rewritten`);
  return dataKey;
}

/** The sealed columns of a stored credential, for copying it elsewhere by SQL. */
export interface SealedCredentialRow {
  key_version: number;
  aad_version: number;
  nonce: Buffer;
  ciphertext: Buffer;
}

/**
 * Copies the sealed columns of one org's credential row over another credential row (which must
 * exist), by SQL: each side is read or written under its own org, as row-level security requires.
 */
export async function copyCredentialRow(
  db: FreshDatabase,
  from: { orgId: string; moduleId: string },
  to: { orgId: string; moduleId: string },
): Promise<void> {
  const [row] = await rawQuery<SealedCredentialRow>(
    db,
    from.orgId,
    'SELECT key_version, aad_version, nonce, ciphertext FROM credentials WHERE org_id = ? AND module_id = ?',
    [from.orgId, from.moduleId],
  );
  if (row === undefined) throw new Error(`no credential row ${from.orgId} ${from.moduleId}`);
  const changed = await rawSql(
    db,
    to.orgId,
    'UPDATE credentials SET key_version = ?, aad_version = ?, nonce = ?, ciphertext = ? WHERE org_id = ? AND module_id = ?',
    [row.key_version, row.aad_version, row.nonce, row.ciphertext, to.orgId, to.moduleId],
  );
  if (changed !== 1) throw new Error(`no credential row ${to.orgId} ${to.moduleId} to overwrite`);
}
