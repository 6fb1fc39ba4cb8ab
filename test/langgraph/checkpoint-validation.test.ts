import { validate } from '@langchain/langgraph-checkpoint-validation';
import { OrgvaultSaver } from '../../src/langgraph/index.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';

/**
 * LangGraph's own conformance suite (@langchain/langgraph-checkpoint-validation), whole, against
 * OrgvaultSaver on every selected engine. One vault per engine; every checkpointer the suite asks
 * for is a saver of a brand-new org, so each test sees only its own threads — `list({})` included,
 * which holds only because a saver never reaches another org's rows.
 */
for (const backend of await selectedBackends()) {
  let vault: Vault;
  let close: () => Promise<void>;
  let orgs = 0;
  validate({
    checkpointerName: `OrgvaultSaver (${backend.name})`,
    async beforeAll() {
      ({ vault, close } = await freshVault(backend));
    },
    beforeAllTimeout: 60_000,
    async afterAll() {
      await close();
    },
    async createCheckpointer() {
      const orgId = `lg-${backend.name}-${++orgs}`;
      await vault.system.createOrg(orgId, { name: orgId });
      return new OrgvaultSaver(vault.org(orgId));
    },
  });
}
