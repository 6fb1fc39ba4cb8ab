import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgScope } from '../../src/storage/storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { manifest } from '../support/manifests.js';
import {
  freshPostgresDatabase,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type PostgresDatabase,
} from '../support/postgres.js';

/**
 * The audit insert is deferred to travel with the COMMIT (one round trip fewer): its failure must
 * still fail and roll back the whole transaction, change included.
 */
describe.skipIf(!POSTGRES_URL)(
  `deferred audit write${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let db: PostgresDatabase;
    let vault: Vault;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      vault = await openVault({ ...db.options, warn: () => {} });
    });
    afterAll(async () => {
      await vault?.close();
      await db?.dispose();
    });

    it('a failing deferred audit insert rolls back the change it records', async () => {
      const storage = internalsOf(vault).storage;
      const last = await storage.read(orgScope('default'), (r) => r.audit.listAuditChain('default'));
      expect(last.length).toBeGreaterThan(0);
      const duplicate = last[0];
      if (!duplicate) throw new Error('no audit event');
      const attempt = storage.transaction(orgScope('default'), async (tx) => {
        await tx.modules.upsertModule('default', {
          moduleId: 'weather/openweather',
          name: 'openweather',
          category: 'weather',
          platform: 'openweather',
          version: '1.0.0',
          status: 'installed',
          healthStatus: 'unknown',
          manifest: manifest('weather/openweather'),
          now: new Date().toISOString(),
        });
        // Same (org, seq) as an existing event: the primary key refuses it, at COMMIT time.
        tx.audit.insertAuditEvent(duplicate.orgId, { ...duplicate });
      });
      await expect(attempt).rejects.toThrow(/duplicate key/);
      expect(await vault.org().modules.get('weather/openweather')).toBeNull();
      // The connections went back to the pool clean (statements prepared on them included): every
      // later transaction works, whichever pooled connection it lands on.
      for (let i = 0; i < 15; i++) await vault.org().modules.install(manifest('weather/openweather'));
      await vault.org().credentials.store('weather/openweather', { api_key: 'k' });
      expect((await vault.system.verifyAuditChain('default')).ok).toBe(true);
    });
  },
);
