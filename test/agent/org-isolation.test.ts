import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { assertAsyncProperty } from '../support/property-runs.js';
import { httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const WEATHER = 'weather/openweather';
const KEY_A = 'key-of-acme-1a2b3c4d5e';
const KEY_B = 'key-of-globex-9z8y7x6w';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] HTTP modules reach the upstream with their own org's key`, () => {
    let vault: Vault;
    let close: () => Promise<void>;
    let server: ModuleServer;

    beforeEach(async () => {
      server = await new ModuleServer()
        .route('GET', '/weather', (req, res) => json(res, 200, { city: req.query.q, temp: 21 }))
        .start();
      ({ vault, close } = await freshVault(backend, { httpAllowPrivate: true }));
      await vault.system.createOrg('acme');
      await vault.system.createOrg('globex');
      for (const [org, key] of [
        ['acme', KEY_A],
        ['globex', KEY_B],
      ] as const) {
        await vault.org(org).modules.install(httpModule(WEATHER, server.url()));
        await vault.org(org).credentials.store(WEATHER, { api_key: key });
      }
    });

    afterEach(async () => {
      await close();
      await server.stop();
    });

    it('each call carries the key of the org whose conversation made it, in any interleaving', async () => {
      const calls = Array.from({ length: 24 }, (_, i) => {
        const org = i % 3 === 0 ? 'globex' : 'acme';
        return { org, city: `${org}-${i}` };
      });
      const results = await Promise.all(
        calls.map(({ org, city }) =>
          vault.org(org).conversations.invoke(`chat-${org}`, {
            moduleId: WEATHER,
            action: 'current',
            input: { q: city },
          }),
        ),
      );

      expect(server.seen).toHaveLength(calls.length);
      for (const req of server.seen) {
        const org = String(req.query.q).split('-')[0];
        expect(req.headers['x-api-key']).toBe(org === 'acme' ? KEY_A : KEY_B);
      }
      for (const [i, { city }] of calls.entries()) {
        expect(results[i]?.result).toEqual({ status: 200, body: { city, temp: 21 } });
      }

      const acme = await vault.org('acme').conversations.get('chat-acme');
      const globex = await vault.org('globex').conversations.get('chat-globex');
      expect(acme?.orgId).toBe('acme');
      expect(globex?.orgId).toBe('globex');
      expect(acme?.toolResults).toHaveLength(16);
      expect(globex?.toolResults).toHaveLength(8);
      const cities = (s: typeof acme) =>
        s?.toolResults.map((t) => (t.output as { body: { city: string } }).body.city);
      expect(cities(acme)?.every((c) => c.startsWith('acme-'))).toBe(true);
      expect(cities(globex)?.every((c) => c.startsWith('globex-'))).toBe(true);
    });

    it('property: for random interleavings of the two orgs, every request carries its own org key', async () => {
      let run = 0;
      await assertAsyncProperty(
        fc.asyncProperty(
          fc.array(fc.constantFrom('acme', 'globex'), { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          async (orgs, concurrent) => {
            run++;
            server.seen.length = 0;
            const invoke = (org: string, i: number) =>
              vault.org(org).conversations.invoke(`p${run}`, {
                moduleId: WEATHER,
                action: 'current',
                input: { q: `${org}-${i}` },
              });
            if (concurrent) await Promise.all(orgs.map(invoke));
            else for (const [i, org] of orgs.entries()) await invoke(org, i);
            expect(server.seen).toHaveLength(orgs.length);
            for (const req of server.seen) {
              const org = String(req.query.q).split('-')[0];
              expect(req.headers['x-api-key']).toBe(org === 'acme' ? KEY_A : KEY_B);
            }
            for (const org of ['acme', 'globex']) {
              const state = await vault.org(org).conversations.get(`p${run}`);
              expect(state?.totalToolCalls ?? 0).toBe(orgs.filter((o) => o === org).length);
            }
          },
        ),
        { numRuns: 15 },
      );
    });

    it('the same conversation id in two orgs is two conversations that never meet', async () => {
      await vault
        .org('acme')
        .conversations.invoke('shared-id', { moduleId: WEATHER, action: 'current', input: { q: 'a' } });
      await vault
        .org('globex')
        .conversations.invoke('shared-id', { moduleId: WEATHER, action: 'current', input: { q: 'b' } });
      await vault
        .org('globex')
        .conversations.invoke('shared-id', { moduleId: WEATHER, action: 'current', input: { q: 'c' } });

      expect((await vault.org('acme').conversations.get('shared-id'))?.totalToolCalls).toBe(1);
      expect((await vault.org('globex').conversations.get('shared-id'))?.totalToolCalls).toBe(2);
      expect(server.seen.map((r) => [r.query.q, r.headers['x-api-key']])).toEqual([
        ['a', KEY_A],
        ['b', KEY_B],
        ['c', KEY_B],
      ]);
      // The default org never saw any of it.
      expect(await vault.org().conversations.get('shared-id')).toBeNull();
    });

    it('a module installed in one org only cannot be reached from another', async () => {
      await vault.system.createOrg('initech');
      const state = await vault.org('initech').conversations.get('x');
      expect(state).toBeNull();
      await expect(
        vault.org('initech').conversations.invoke('x', { moduleId: WEATHER, action: 'current', input: {} }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(server.seen).toHaveLength(0);
    });
  });
}
