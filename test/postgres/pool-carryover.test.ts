import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInitialState } from '../../src/agent/state.js';
import { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { AUTH_SCOPE, orgScope, SYSTEM_SCOPE } from '../../src/storage/storage.js';
import {
  createIsolatedSchema,
  type IsolatedSchema,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
} from '../support/postgres.js';
import { seedTwoOrgs } from './seed.js';

/**
 * SET LOCAL, never SET: with a pool of ONE connection, every unit of work reuses the same session,
 * so any org left behind by one transaction would show up in the next.
 */
describe.skipIf(!POSTGRES_URL)(
  `pooled connection carries no scope over${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let schema: IsolatedSchema;
    let storage: PostgresStorage;

    beforeAll(async () => {
      schema = await createIsolatedSchema();
      storage = await PostgresStorage.open({
        url: schema.runtimeUrl,
        ownerUrl: schema.ownerUrl,
        poolSize: 1,
      });
      const client = await storage.rawPool.connect();
      try {
        await seedTwoOrgs(client, ['org-a', 'org-b']);
      } finally {
        client.release();
      }
    });
    afterAll(async () => {
      await storage?.close();
      await schema?.dispose();
    });

    /** What the single pooled session sees outside any orgvault transaction. */
    async function bareSession(): Promise<{ setting: string; system: string; visible: number }> {
      const r = await storage.rawPool.query(
        `SELECT coalesce(current_setting('orgvault.org_id', true), '') AS setting,
              coalesce(current_setting('orgvault.system', true), '') AS system,
              (SELECT count(*)::int FROM api_keys) AS visible`,
      );
      return r.rows[0];
    }

    it('alternating orgs for 100 rounds, each sees only itself and the session is clean after each', async () => {
      for (let round = 0; round < 100; round++) {
        const org = round % 2 === 0 ? 'org-a' : 'org-b';
        const useTransaction = round % 4 < 2;
        const run = useTransaction ? storage.transaction.bind(storage) : storage.read.bind(storage);
        const keys = await run(orgScope(org), async (r) => ({
          mine: await r.apiKeys.listApiKeys(org),
          // Asking for the other org's rows by name: RLS must answer with nothing.
          theirs: await r.apiKeys.listApiKeys(org === 'org-a' ? 'org-b' : 'org-a'),
          org: await r.orgs.findOrg(org),
        }));
        expect(keys.mine.map((k) => k.orgId)).toEqual([org]);
        expect(keys.theirs).toEqual([]);
        expect(keys.org?.orgId).toBe(org);
        expect(await bareSession()).toEqual({ setting: '', system: '', visible: 0 });
      }
    });

    it('a failed transaction rolls back and leaves no scope behind either', async () => {
      for (let round = 0; round < 20; round++) {
        await expect(
          storage.transaction(orgScope('org-a'), async (tx) => {
            await tx.apiKeys.listApiKeys('org-a');
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await bareSession()).toEqual({ setting: '', system: '', visible: 0 });
        const other = await storage.read(orgScope('org-b'), (r) => r.apiKeys.listApiKeys('org-a'));
        expect(other).toEqual([]);
      }
    });

    it('refuses a write on the read path (no transaction would hold it together)', async () => {
      await expect(
        storage.read(orgScope('org-a'), (r) => r.modules.recordUsage('org-a', 'weather/openweather', 'now')),
      ).rejects.toThrow(/storage.transaction/);
      await expect(
        storage.read(orgScope('org-a'), (r) =>
          r.checkpoints.saveCheckpoint('org-a', 'c9', createInitialState('c9'), new Date().toISOString()),
        ),
      ).rejects.toThrow(/storage.transaction/);
      const unchanged = await storage.read(orgScope('org-a'), (r) =>
        r.checkpoints.findCheckpoint('org-a', 'c9'),
      );
      expect(unchanged).toBeNull();
    });

    it('system and auth scopes end with their transaction too', async () => {
      const all = await storage.read(SYSTEM_SCOPE, (r) => r.orgs.listOrgs());
      expect(all.map((o) => o.orgId)).toEqual(['org-a', 'org-b']);
      expect(await bareSession()).toEqual({ setting: '', system: '', visible: 0 });
      const key = await storage.read(AUTH_SCOPE, (r) => r.apiKeys.findApiKeyForAuth('key_org-b'));
      expect(key?.orgId).toBe('org-b');
      expect(await bareSession()).toEqual({ setting: '', system: '', visible: 0 });
      const orgsInAuth = await storage.read(AUTH_SCOPE, (r) => r.orgs.listOrgs());
      expect(orgsInAuth).toEqual([]);
    });
  },
);
