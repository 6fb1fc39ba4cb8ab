import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orgScope } from '../../src/storage/storage.js';
import { openVault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { manifest, WEATHER } from '../support/manifests.js';

describe('sqlite::memory:', () => {
  it('works as a private database, and a read never sees another flow’s uncommitted write', async () => {
    const vault = await openVault({
      databaseUrl: 'sqlite::memory:',
      dataDir: '/nonexistent-unused',
      masterKey: randomBytes(32).toString('base64'),
    });
    try {
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      // A transaction that has written but not committed yet...
      const tx = internalsOf(vault).storage.transaction(orgScope('default'), async (t) => {
        await t.modules.upsertModule('default', {
          moduleId: WEATHER,
          name: 'openweather',
          category: 'weather',
          platform: 'openweather',
          version: '1.0.0',
          status: 'installed',
          healthStatus: 'unknown',
          manifest: manifest(WEATHER),
          now: new Date().toISOString(),
        });
        await gate;
        throw new Error('roll back');
      });
      // ...and a read issued meanwhile: it must wait and then see the rolled-back state.
      const read = vault.org().modules.get(WEATHER);
      release();
      await expect(tx).rejects.toThrow('roll back');
      expect(await read).toBeNull();
      await vault.org().modules.install(manifest(WEATHER));
      await vault.org().credentials.store(WEATHER, { api_key: 'in-memory-key' });
      expect(await vault.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'in-memory-key' });
    } finally {
      await vault.close();
    }
  });
});

describe('sqlite::memory: reads made inside a transaction', () => {
  it('do not wait for the transaction they are part of', async () => {
    const vault = await openVault({
      databaseUrl: 'sqlite::memory:',
      dataDir: '/nonexistent-unused',
      masterKey: randomBytes(32).toString('base64'),
    });
    try {
      const seen = await internalsOf(vault).storage.transaction(orgScope('default'), async () =>
        internalsOf(vault).storage.read(orgScope('default'), (r) => r.orgs.findOrg('default')),
      );
      expect(seen?.orgId).toBe('default');
    } finally {
      await vault.close();
    }
  });
});
