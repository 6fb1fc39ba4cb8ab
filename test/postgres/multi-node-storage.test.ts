import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_SCOPE } from '../../src/storage/storage.js';
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
 * Two vaults (two pools, as two nodes would have) on one schema: what SQLite gets from serialised
 * transactions must hold here through locks — the audit chain of one org and the bootstrap race.
 */
describe.skipIf(!POSTGRES_URL)(
  `two nodes on one PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let db: PostgresDatabase;
    let a: Vault;
    let b: Vault;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      const common = db.options;
      // Both open (and try to migrate) at once, as two nodes starting together would.
      [a, b] = await Promise.all([
        openVault({ ...common, warn: () => {} }),
        openVault({ ...common, warn: () => {} }),
      ]);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await db?.dispose();
    });

    it('system-scope check-then-write is atomic across nodes (serialised, as on SQLite)', async () => {
      const attempt = (vault: Vault) =>
        internalsOf(vault).storage.transaction(SYSTEM_SCOPE, async (tx) => {
          if ((await tx.orgs.findOrg('race')) !== null) return 'found';
          // Hold the window open: without serialisation the other node would also find nothing.
          await new Promise((r) => setTimeout(r, 150));
          await tx.orgs.insertOrg({
            orgId: 'race',
            name: 'race',
            plan: null,
            createdAt: new Date().toISOString(),
          });
          return 'created';
        });
      const outcomes = await Promise.all([attempt(a), attempt(b)]);
      expect(outcomes.sort()).toEqual(['created', 'found']);
    });

    it('concurrent bootstraps through both nodes: exactly one wins', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).auth.bootstrap()),
      );
      expect(attempts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of attempts.filter((x) => x.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
      }
    });

    it('concurrent changes of one org through both nodes keep one gapless, valid audit chain', async () => {
      await a.system.createOrg('acme');
      const installs = Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? a : b).org('acme').modules.install(manifest(`weather/p${i}`, { version: '1.0.0' })),
      );
      await Promise.all(installs);
      expect((await b.org('acme').modules.list()).length).toBe(12);
      const verdict = await a.system.verifyAuditChain('acme');
      expect(verdict.ok).toBe(true);
      expect(verdict.events).toBe(13);
    });
  },
);
