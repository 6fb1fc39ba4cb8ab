import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { KeyVerifier } from '../src/auth/key-verifier.js';
import type { Storage } from '../src/storage/storage.js';
import type { Vault } from '../src/vault.js';
import { internalsOf } from '../src/vault-internals.js';
import type { BenchCase } from './harness.js';

/**
 * Key verification against its floor: SHA-256 of the secret plus the bare prepared select by key
 * id. Three orgvault rows: `auth.verify` as served on SQLite (rows remembered under the storage's
 * key change token), the same with one write (an install) per 100 verifications, and
 * `auth.verify.uncached`, the full read path every request takes on PostgreSQL.
 */
export async function authCases(vault: Vault, path: string, orgs: string[]): Promise<BenchCase[]> {
  const keys: { apiKey: string; keyId: string; secret: string }[] = [];
  for (const org of orgs.slice(0, 10)) {
    for (let i = 0; i < 10; i++) {
      const k = await vault.org(org).keys.create({ role: 'viewer', name: `bench-${i}` });
      keys.push({ apiKey: k.apiKey, keyId: k.keyId, secret: k.apiKey.split('_').slice(2).join('_') });
    }
  }
  const storage = internalsOf(vault).storage;
  // The same storage without its change token: what verification costs with no cache at all.
  const uncachedStorage: Storage = {
    capabilities: storage.capabilities,
    transaction: (scope, fn) => storage.transaction(scope, fn),
    read: (scope, fn) => storage.read(scope, fn),
    close: async () => {},
  };
  const uncached = new KeyVerifier({ storage: uncachedStorage, clock: internalsOf(vault).clock });
  const db = new BetterSqlite3(path, { readonly: true });
  const byId = db.prepare<[string], { hash: string; status: string }>(
    'SELECT * FROM api_keys WHERE key_id = ?',
  );
  const pick = (i: number) => keys[i % keys.length] as (typeof keys)[number];
  const floor = (i: number) => {
    const k = pick(i);
    const digest = createHash('sha256').update(k.secret).digest('hex');
    const row = byId.get(k.keyId);
    return row !== undefined && row.hash === digest;
  };
  // Ordinary traffic: one module install per 100 verifications, on both sides alike (the install
  // is the same call; what differs is whether it empties orgvault's verification cache).
  const org = vault.org(orgs[0] as string);
  const withWrites =
    (verify: (i: number) => unknown) =>
    async (i: number): Promise<unknown> => {
      if (i % 100 === 0) {
        await org.modules.install({
          name: 'bench-writes',
          category: 'crm',
          platform: 'bench-writes',
          version: `1.${i % 1000}.0`,
        });
      }
      return verify(i);
    };
  return [
    { name: 'auth.verify', run: (i) => vault.auth.verify(pick(i).apiKey), floor },
    {
      name: 'auth.verify (1 write/100)',
      run: withWrites((i) => vault.auth.verify(pick(i).apiKey)),
      floor: withWrites(floor),
    },
    { name: 'auth.verify.uncached', run: (i) => uncached.verify(pick(i).apiKey), floor },
  ];
}
