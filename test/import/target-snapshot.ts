import { SYSTEM_SCOPE } from '../../src/storage/storage.js';
import type { Repositories } from '../../src/storage/stores.js';
import type { Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';

/**
 * Everything the import can touch in the target, read through the storage interface (so it works
 * on every backend): compare two snapshots to prove a run changed nothing.
 */
export async function snapshotTarget(vault: Vault): Promise<unknown> {
  return internalsOf(vault).storage.read(SYSTEM_SCOPE, async (r: Repositories) => {
    const orgs = await r.orgs.listOrgs();
    const perOrg = [];
    for (const o of orgs) {
      const credentialIds = await r.credentials.listCredentialModuleIds(o.orgId);
      const credentials = [];
      for (const id of credentialIds) {
        const c = await r.credentials.findCredential(o.orgId, id);
        credentials.push({
          ...c,
          nonce: c?.nonce.toString('hex'),
          ciphertext: c?.ciphertext.toString('hex'),
        });
      }
      const key = await r.orgKeys.findCurrentOrgKey(o.orgId);
      perOrg.push({
        org: o,
        modules: await r.modules.listModules(o.orgId, {}),
        credentials,
        apiKeys: await r.apiKeys.listApiKeys(o.orgId),
        audit: await r.audit.listAuditChain(o.orgId),
        orgKey: key === null ? null : { version: key.version, wrapped: key.wrapped.toString('hex') },
      });
    }
    return perOrg;
  });
}
