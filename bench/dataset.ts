import type { Vault } from '../src/vault.js';

/** 100 orgs x 50 modules (credentials on the first 10 modules of each org), as the issue asks. */
export interface Dataset {
  orgs: string[];
  /** Every (org, module) pair, shuffled so consecutive operations touch different rows. */
  pairs: [string, string][];
  credentialPairs: [string, string][];
  manifestFor(
    moduleId: string,
    i: number,
  ): { name: string; category: string; platform: string; version: string };
}

const CATEGORIES = ['weather', 'calendar', 'search', 'crm', 'mail'];

export async function buildDataset(vault: Vault, orgCount = 100, modulesPerOrg = 50): Promise<Dataset> {
  const orgs = Array.from({ length: orgCount }, (_, i) => `org-${String(i).padStart(3, '0')}`);
  const modules = Array.from(
    { length: modulesPerOrg },
    (_, i) => `${CATEGORIES[i % CATEGORIES.length]}/platform-${String(i).padStart(2, '0')}`,
  );
  const manifestFor = (moduleId: string, i: number) => {
    const [category, platform] = moduleId.split('/') as [string, string];
    return {
      name: platform,
      category,
      platform,
      version: `1.${i % 100}.0`,
      display_name: `${platform} integration`,
      description: 'A module installed for benchmarking, with a manifest of realistic size.',
      auth_type: 'api_key',
      requires_api_key: true,
      credential_fields: [{ name: 'api_key', required: true }],
    };
  };
  const pairs: [string, string][] = [];
  const credentialPairs: [string, string][] = [];
  for (const org of orgs) {
    await vault.system.createOrg(org);
    for (const [j, mod] of modules.entries()) {
      await vault.org(org).modules.install(manifestFor(mod, 0));
      pairs.push([org, mod]);
      if (j < 10) {
        await vault.org(org).credentials.store(mod, { api_key: `secret-${org}-${mod}` });
        credentialPairs.push([org, mod]);
      }
    }
  }
  // Deterministic shuffle (LCG) so runs are comparable.
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const list of [pairs, credentialPairs]) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [list[i], list[j]] = [list[j] as [string, string], list[i] as [string, string]];
    }
  }
  return { orgs, pairs, credentialPairs, manifestFor };
}
