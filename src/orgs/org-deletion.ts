import { VaultError } from '../errors.js';
import { DEFAULT_ORG, orgIdOf } from '../ids.js';
import { orgScope } from '../storage/storage.js';
import type { VaultServices } from '../vault-internals.js';

/** What deleting an org removed: its data keys and, per table, its rows. */
export interface OrgDeletion {
  orgId: string;
  dataKeys: number;
  rows: Record<string, number>;
}

/**
 * Deletes an org by crypto-shredding: its data keys go first, in a unit of work of their own, so
 * from that moment every ciphertext of the org (rows, backups, copies) is unreadable even if the
 * deletion of the rows that follows is interrupted; then every row of it goes, in one transaction.
 * Running it again after an interruption finishes the job. The default org is never deleted
 * (callers that name no org land there).
 */
export async function deleteOrg(
  services: Pick<VaultServices, 'storage' | 'orgKeys'>,
  orgId: string,
  onStep: (step: 'data-keys' | 'rows') => void = () => {},
): Promise<OrgDeletion> {
  const id = orgIdOf(orgId);
  if (id === DEFAULT_ORG)
    throw new VaultError('VALIDATION_FAILED', 'the default organization cannot be deleted');
  const exists = await services.storage.read(orgScope(id), async (r) => (await r.orgs.findOrg(id)) !== null);
  if (!exists) throw new VaultError('ORG_NOT_FOUND', `organization "${id}" does not exist`);
  onStep('data-keys');
  const dataKeys = await services.orgKeys.destroyOrgKeys(id);
  onStep('rows');
  const rows = await services.storage.transaction(orgScope(id), (tx) => tx.orgRows.deleteRows(id));
  return { orgId: id, dataKeys, rows };
}
