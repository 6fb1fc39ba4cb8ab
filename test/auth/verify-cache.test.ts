import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { KeyVerifier } from '../../src/auth/key-verifier.js';
import type { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends, sqliteBackend } from '../support/backends.js';
import { manifest } from '../support/manifests.js';

/** A verifier over the vault's own storage that counts the reads it makes (what the cache saves). */
function countingVerifier(vault: Vault): { verifier: KeyVerifier; reads: () => number } {
  const storage = internalsOf(vault).storage;
  let reads = 0;
  const counted: Storage = {
    capabilities: storage.capabilities,
    transaction: (scope, fn) => storage.transaction(scope, fn),
    read: (scope, fn) => {
      reads += 1;
      return storage.read(scope, fn);
    },
    ...(storage.changeToken ? { changeToken: () => storage.changeToken?.() ?? '' } : {}),
    ...(storage.authChangeToken ? { authChangeToken: () => storage.authChangeToken?.() ?? '' } : {}),
    close: async () => {},
  };
  return {
    verifier: new KeyVerifier({ storage: counted, clock: internalsOf(vault).clock }),
    reads: () => reads,
  };
}

/** Writes of ordinary traffic: installs and credential stores in two orgs. */
async function traffic(vault: Vault, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `weather/platform_${i}`;
    for (const org of [vault.org(), vault.org('other')]) {
      await org.modules.install(manifest(id, { version: `1.${i}.0` }));
      await org.credentials.store(id, { api_key: `k-${i}` });
    }
  }
}

for (const backend of await selectedBackends()) {
  describe(`${backend.name}: the key verification cache under writes`, () => {
    it('a revoke, a rotation without grace, and a revoke by another node take effect at once, with writes in between', async () => {
      const { vault, db, close } = await freshVault(backend);
      const second = await openVault({ ...db.options, warn: () => {} });
      try {
        await vault.system.createOrg('other');
        const keys = vault.org().keys;
        const [a, b, c] = [
          await keys.create({ role: 'viewer' }),
          await keys.create({ role: 'viewer' }),
          await keys.create({ role: 'viewer' }),
        ];
        for (const k of [a, b, c]) expect((await vault.auth.verify(k.apiKey)).ok).toBe(true);
        await traffic(vault, 5);
        for (const k of [a, b, c]) expect((await vault.auth.verify(k.apiKey)).ok).toBe(true);

        expect(await keys.revoke(a.keyId)).toBe(true);
        expect(await vault.auth.verify(a.apiKey)).toEqual({ ok: false, code: 'REVOKED' });

        const rotated = await keys.rotate(b.keyId, { graceSeconds: 0 });
        expect(rotated).not.toBeNull();
        expect(await vault.auth.verify(b.apiKey)).toEqual({ ok: false, code: 'GRACE_EXPIRED' });
        expect((await vault.auth.verify(rotated?.apiKey ?? '')).ok).toBe(true);

        // Another node (or the CLI) on the same database revokes: this node refuses at once.
        expect(await second.org().keys.revoke(c.keyId)).toBe(true);
        expect(await vault.auth.verify(c.apiKey)).toEqual({ ok: false, code: 'REVOKED' });
      } finally {
        await second.close();
        await close();
      }
    }, 120_000);
  });
}

describe('sqlite: the cache is narrowed to key and org writes', () => {
  it('installs and credential stores of this process leave cached keys unread; a key write or another connection’s commit does not', async () => {
    const { vault, db, close } = await freshVault(sqliteBackend);
    try {
      await vault.system.createOrg('other');
      const keys = await Promise.all([1, 2, 3].map(() => vault.org().keys.create({ role: 'viewer' })));
      const { verifier, reads } = countingVerifier(vault);
      const verifyAll = async () => {
        for (const k of keys) expect((await verifier.verify(k.apiKey)).ok).toBe(true);
      };
      await verifyAll();
      const afterFirst = reads();
      expect(afterFirst).toBe(keys.length);
      await traffic(vault, 10);
      await verifyAll();
      expect(reads()).toBe(afterFirst);

      // A key write of this process (a new key) empties the cache: every key is read again.
      await vault.org().keys.create({ role: 'viewer' });
      await verifyAll();
      expect(reads()).toBe(afterFirst + keys.length);

      // A commit of another connection (what another process might have done to a key): read again.
      const path = (internalsOf(vault).storage as SqliteStorage).rawConnection.name;
      const other = new BetterSqlite3(path);
      other.prepare("UPDATE api_keys SET status = 'revoked' WHERE key_id = ?").run(keys[0]?.keyId);
      other.close();
      expect(await verifier.verify(keys[0]?.apiKey ?? '')).toEqual({ ok: false, code: 'REVOKED' });
      expect(reads()).toBe(afterFirst + keys.length + 1);
      expect(db.options.databaseUrl).toContain('sqlite:');
    } finally {
      await close();
    }
  }, 120_000);
});

describe('sqlite: verifyNow answers from the cache alone, as verify would', () => {
  it('nothing before a read, the verified key after it, nothing once the token moves; expiry still checked', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const { vault, close } = await freshVault(sqliteBackend, { clock: () => new Date(now.getTime()) });
    try {
      const k = await vault.org().keys.create({ role: 'viewer', expiresAt: '2030-01-01T01:00:00.000Z' });
      const { verifier, reads } = countingVerifier(vault);
      expect(verifier.verifyNow(k.apiKey, verifier.changeToken())).toBeUndefined();
      const full = await verifier.verify(k.apiKey);
      expect(full.ok).toBe(true);
      expect(verifier.verifyNow(k.apiKey, verifier.changeToken())).toEqual(full);
      expect(verifier.verifyNow(`${k.apiKey}x`, verifier.changeToken())).toBeUndefined();
      expect(verifier.verifyNow(k.apiKey, null)).toBeUndefined();
      const readsBefore = reads();
      now = new Date('2030-01-01T02:00:00.000Z');
      expect(verifier.verifyNow(k.apiKey, verifier.changeToken())).toEqual({ ok: false, code: 'EXPIRED' });
      expect(reads()).toBe(readsBefore);
      await vault.org().keys.revoke(k.keyId);
      expect(verifier.verifyNow(k.apiKey, verifier.changeToken())).toBeUndefined();
    } finally {
      await close();
    }
  });
});
