import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend, testMasterKey } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest, WEATHER } from '../support/manifests.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's rotation recipe: the value of ORGVAULT_MASTER_KEY during and after the rotation. */
function recipe(): { during: string; after: string } {
  const section = README.slice(README.indexOf('Rotating the master key'));
  const values = [...section.matchAll(/`ORGVAULT_MASTER_KEY=([^`]+)`/g)].map((m) => m[1] ?? '');
  const [during, after] = values;
  if (during === undefined || after === undefined) throw new Error('README: rotation recipe not found');
  return { during, after };
}

const fill = (template: string, keys: { next: string; old: string }) =>
  template.replaceAll('<new key>', keys.next).replaceAll('<old key>', keys.old);

describe("README's master-key rotation recipe, run as written", () => {
  let db: FreshDatabase;
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
  });
  afterEach(async () => db.dispose());

  it('rotates (exit 0), and the credentials open under the new key alone', async () => {
    const keys = { old: testMasterKey(), next: testMasterKey() };
    const env = (masterKey: string) => ({
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: masterKey,
    });
    const before = await openVault({ ...db.options, masterKey: keys.old, warn: () => {} });
    await before.system.createOrg('acme');
    await before.org('acme').modules.install(manifest(WEATHER));
    await before.org('acme').credentials.store(WEATHER, { api_key: 'sk-before-rotation' });
    await before.close();

    const { during, after } = recipe();
    const rotated = await runOrgvault(['master-key', 'rotate'], env(fill(during, keys)));
    expect(rotated.code, rotated.stderr).toBe(0);

    const vault = await openVault({ ...db.options, masterKey: fill(after, keys), warn: () => {} });
    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'sk-before-rotation' });
    await vault.close();
  });
});
