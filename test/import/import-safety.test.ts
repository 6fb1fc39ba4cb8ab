import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { importNexus, openVault, VaultError } from '../../src/index.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Repositories } from '../../src/storage/stores.js';
import type { Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { copyFixture, type FixtureCopy, GENERATIONS } from './nexus-fixtures.js';
import { snapshotTarget } from './target-snapshot.js';

const backends = await selectedBackends();

const fileState = (path: string) => ({
  sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
  mtimeMs: statSync(path).mtimeMs,
});

const run = (vault: Vault, f: FixtureCopy, dryRun = false) =>
  importNexus(vault, {
    registry: f.registry,
    credentials: f.credentials,
    apiKeys: f.apiKeys,
    nexusKey: f.expected.nexus_encryption_key,
    dryRun,
  });

/** A view of `target` whose listed methods are replaced; every other method stays bound to it. */
function override<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(t, p) {
      if (p in replaced) return replaced[p as keyof T];
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/** Makes the nth credential write of every transaction throw, after orgs, modules and keys were written. */
function failOnCredentialWrite(storage: Storage, nth: number): () => void {
  const original = storage.transaction.bind(storage);
  storage.transaction = (scope, fn) =>
    original(scope, (tx) => {
      let calls = 0;
      const credentials = override(tx.credentials, {
        upsertCredential: async (orgId, write) => {
          calls++;
          if (calls === nth) throw new Error('injected failure midway');
          return tx.credentials.upsertCredential(orgId, write);
        },
      });
      return fn(override<Repositories>(tx, { credentials }));
    });
  return () => {
    storage.transaction = original;
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(backendIndex: number, generation: (typeof GENERATIONS)[number]) {
  const backend = backends[backendIndex];
  if (!backend) throw new Error('no backend');
  const fixture = copyFixture(generation);
  cleanups.push(() => fixture.dispose());
  const { vault, db, close } = await freshVault(backend);
  cleanups.push(close);
  return { vault, db, fixture };
}

describe.each(backends.map((b, i) => [b.name, i] as const))('NEXUS import safety on %s', (_name, bi) => {
  describe.each(GENERATIONS.map((g) => [g] as const))('%s', (generation) => {
    it('a second run creates nothing, says so, and changes nothing; NEXUS files are never written', async () => {
      const { vault, fixture } = await setup(bi, generation);
      const files = [fixture.registry, fixture.credentials, ...(fixture.apiKeys ? [fixture.apiKeys] : [])];
      const before = files.map(fileState);
      const first = await run(vault, fixture);
      expect(first.report.modules).toBeGreaterThan(0);
      const afterFirst = await snapshotTarget(vault);

      const second = await run(vault, fixture);
      expect(second.report).toMatchObject({
        organizations: 0,
        modules: 0,
        credentials: 0,
        api_keys: 0,
        restored_modules: [],
      });
      // Still reported: each needs a person's action however often the import runs.
      expect(second.report.unreadable_credentials).toEqual(first.report.unreadable_credentials);
      expect(second.report.dev_key_credentials).toEqual(first.report.dev_key_credentials);
      expect(second.alreadyPresent.modules).toBe(first.report.modules);
      expect(second.alreadyPresent.credentials).toBe(first.report.credentials);
      expect(await snapshotTarget(vault)).toEqual(afterFirst);
      expect(files.map(fileState)).toEqual(before);
    });

    it('a dry run reports what a real run then does, and writes nothing', async () => {
      const { vault, fixture } = await setup(bi, generation);
      const before = await snapshotTarget(vault);
      const dry = await run(vault, fixture, true);
      expect(dry.dryRun).toBe(true);
      expect(await snapshotTarget(vault)).toEqual(before);
      const real = await run(vault, fixture);
      expect(real.report).toEqual(dry.report);
    });

    it('a corrupt manifest row stops the import before anything is written', async () => {
      const { vault, fixture } = await setup(bi, generation);
      const db = new Database(fixture.registry);
      db.prepare('UPDATE modules SET manifest_json = \'{"name": "cibc", broken\' WHERE module_id = ?').run(
        'finance/cibc',
      );
      db.close();
      const before = await snapshotTarget(vault);
      const err = await run(vault, fixture).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect((err as Error).message).toMatch(/finance\/cibc.*manifest_json is not valid JSON/);
      expect(await snapshotTarget(vault)).toEqual(before);
    });

    it('a failure midway through the transaction leaves the target as it was', async () => {
      const { vault, db, fixture } = await setup(bi, generation);
      const before = await snapshotTarget(vault);
      const restore = failOnCredentialWrite(internalsOf(vault).storage, 3);
      const err = await run(vault, fixture).catch((e: unknown) => e);
      restore();
      expect((err as Error).message).toBe('injected failure midway');
      expect(await snapshotTarget(vault)).toEqual(before);

      // And the vault is still sound: the same import then succeeds, and its secrets open in a new
      // process too (no data key that only lived in the rolled-back transaction's cache).
      const ok = await run(vault, fixture);
      expect(ok.report.credentials).toBe(fixture.expected.credentials.length);
      await vault.close();
      const reopened = await openVault({ ...db.options, warn: () => {} });
      try {
        for (const c of fixture.expected.credentials) {
          expect(await reopened.org(c.org_id).credentials.retrieve(c.module_id)).toEqual(c.credentials);
        }
      } finally {
        await reopened.close();
      }
    });
  });

  it('detects the generation of each file on its own (org-scoped registry, single-tenant credentials)', async () => {
    const { vault, fixture } = await setup(bi, 'v2-org-scoped');
    const v1 = copyFixture('v1-single-tenant');
    cleanups.push(() => v1.dispose());
    const result = await importNexus(vault, {
      registry: fixture.registry,
      credentials: v1.credentials,
      nexusKey: v1.expected.nexus_encryption_key,
    });
    expect(result.generations).toEqual({ registry: 'v2-org-scoped', credentials: 'v1-single-tenant' });
    // v1 credentials all belong to `default`; modules the v2 registry placed elsewhere are restored there.
    expect(result.report.restored_modules.every((r) => r.org_id === 'default')).toBe(true);
    for (const c of v1.expected.credentials) {
      expect(await vault.org('default').credentials.retrieve(c.module_id)).toEqual(c.credentials);
    }
  });

  it('a key id already held by a different key in orgvault stops the import, nothing written', async () => {
    const { vault, fixture } = await setup(bi, 'v2-org-scoped');
    const key = fixture.expected.api_keys[0];
    if (!key || !fixture.apiKeys) throw new Error('fixture has keys');
    const db = new Database(fixture.apiKeys);
    db.prepare('UPDATE api_keys SET key_hash = ? WHERE key_id = ?').run('ab'.repeat(32), key.key_id);
    db.close();
    const other = copyFixture('v2-org-scoped');
    cleanups.push(() => other.dispose());
    await run(vault, other);
    const before = await snapshotTarget(vault);
    await expect(run(vault, fixture)).rejects.toThrow(/already has a different key with this id/);
    expect(await snapshotTarget(vault)).toEqual(before);
  });
});
