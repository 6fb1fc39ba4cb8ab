import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { type FreshDatabase, selectedBackends, sqliteBackend } from '../support/backends.js';
import { manifest, SEARCH, WEATHER } from '../support/manifests.js';
import { copyCredentialRow, shareDataKey } from '../support/org-data-keys.js';
import { rawQuery, rawSql } from '../support/raw-sql.js';

const raw = (vault: Vault) => (internalsOf(vault).storage as SqliteStorage).rawConnection;

const backends = await selectedBackends();

/** NEXUS defect 6: its ciphertexts were not bound to org or module, so a copied row decrypted fine. */
describe.each(backends.map((b) => [b.name, b] as const))(
  'credential ciphertexts are bound to their org and module on %s',
  (_name, backend) => {
    let db: FreshDatabase;
    let vault: Vault;

    beforeEach(async () => {
      db = await backend.fresh();
      vault = await openVault({ ...db.options, warn: () => {} });
      await vault.system.createOrg('acme');
      await vault.system.createOrg('globex');
      for (const org of ['acme', 'globex']) {
        await vault.org(org).modules.install(manifest(WEATHER));
        await vault.org(org).modules.install(manifest(SEARCH));
      }
      await vault.org('acme').credentials.store(WEATHER, { api_key: 'acme-weather-secret' });
      await vault.org('globex').credentials.store(WEATHER, { api_key: 'globex-weather-secret' });
      await vault.org('acme').credentials.store(SEARCH, { api_key: 'acme-search-secret' });
    });
    afterEach(async () => {
      await vault.close();
      await db.dispose();
    });

    const at = (orgId: string, moduleId: string) => ({ orgId, moduleId });
    /** A new process: no data key cached from before a change made by SQL. */
    const reopen = async () => {
      await vault.close();
      vault = await openVault({ ...db.options, warn: () => {} });
    };

    it('a row copied into another org fails to decrypt and never yields the other secret', async () => {
      await copyCredentialRow(db, at('acme', WEATHER), at('globex', WEATHER));
      const err = await vault
        .org('globex')
        .credentials.retrieve(WEATHER)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DECRYPTION_FAILED' });
      expect(String((err as Error).message)).not.toContain('acme-weather-secret');
      // The source is untouched.
      expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({
        api_key: 'acme-weather-secret',
      });
    });

    it('a row copied into another org that holds the same data key still fails: the org is in the associated data', async () => {
      // The attacker re-wraps acme's data key as globex's, so the key cannot tell the orgs apart.
      await shareDataKey(db, 'acme', 'globex');
      await reopen();
      // Control: globex really runs on the shared key now (a credential sealed under it opens).
      await vault.org('globex').credentials.store(SEARCH, { api_key: 'globex-search-secret' });
      expect(await vault.org('globex').credentials.retrieve(SEARCH)).toEqual({
        api_key: 'globex-search-secret',
      });
      await copyCredentialRow(db, at('acme', WEATHER), at('globex', WEATHER));
      const err = await vault
        .org('globex')
        .credentials.retrieve(WEATHER)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DECRYPTION_FAILED' });
      // The AEAD refused it, not the key unwrap.
      expect(String((err as Error).message)).toMatch(/cannot be decrypted/);
      expect(String((err as Error).message)).not.toContain('acme-weather-secret');
      expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({
        api_key: 'acme-weather-secret',
      });
    });

    it('a row copied into another module of the same org fails to decrypt', async () => {
      await copyCredentialRow(db, at('acme', WEATHER), at('acme', SEARCH));
      await expect(vault.org('acme').credentials.retrieve(SEARCH)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
      expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({
        api_key: 'acme-weather-secret',
      });
    });

    it("an org's wrapped data key copied to another org does not unwrap there", async () => {
      const [acmeKey] = await rawQuery<{ master_key_id: string; wrapped: Buffer }>(
        db,
        'acme',
        "SELECT master_key_id, wrapped FROM org_keys WHERE org_id = 'acme' AND version = 1",
        [],
      );
      expect(
        await rawSql(
          db,
          'globex',
          "UPDATE org_keys SET master_key_id = ?, wrapped = ? WHERE org_id = 'globex' AND version = 1",
          [acmeKey?.master_key_id, acmeKey?.wrapped],
        ),
      ).toBe(1);
      // A fresh process (no cached keys) after the copy: the wrapping is bound to the org id.
      await reopen();
      await copyCredentialRow(db, at('acme', WEATHER), at('globex', WEATHER));
      await expect(vault.org('globex').credentials.retrieve(WEATHER)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
    });

    it.each(['nonce', 'ciphertext'])('a flipped byte in the %s fails to decrypt', async (column) => {
      const [row] = await rawQuery<{ v: Buffer }>(
        db,
        'acme',
        `SELECT ${column} AS v FROM credentials WHERE org_id = 'acme' AND module_id = ?`,
        [WEATHER],
      );
      const flipped = Buffer.from(row?.v as Buffer);
      flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] as number) ^ 0x01;
      await rawSql(
        db,
        'acme',
        `UPDATE credentials SET ${column} = ? WHERE org_id = 'acme' AND module_id = ?`,
        [flipped, WEATHER],
      );
      await expect(vault.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
    });

    it('a changed key version fails to decrypt', async () => {
      await rawSql(
        db,
        'acme',
        "UPDATE credentials SET key_version = 2 WHERE org_id = 'acme' AND module_id = ?",
        [WEATHER],
      );
      await expect(vault.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
    });
  },
);

describe('the SQLite database file', () => {
  it('holds no plaintext secret, nor does its WAL', async () => {
    const db = await sqliteBackend.fresh();
    const vault = await openVault({ ...db.options, warn: () => {} });
    try {
      await vault.system.createOrg('acme');
      await vault.org('acme').modules.install(manifest(WEATHER));
      await vault.org().modules.install(manifest(WEATHER));
      await vault.org('acme').credentials.store(WEATHER, { api_key: 'acme-weather-secret' });
      await vault.org().credentials.store(WEATHER, { api_key: 'default-weather-secret' });
    } finally {
      await vault.close();
    }
    const file = db.options.databaseUrl.slice('sqlite:'.length);
    const bytes = readFileSync(file);
    const wal = (() => {
      try {
        return readFileSync(`${file}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    try {
      expect(bytes.length).toBeGreaterThan(0);
      for (const secret of ['acme-weather-secret', 'default-weather-secret']) {
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(wal.includes(Buffer.from(secret))).toBe(false);
      }
    } finally {
      await db.dispose();
    }
  });
});

describe('data keys are per org', () => {
  it('two orgs get different data keys and every credential write uses a fresh nonce', async () => {
    const db = await sqliteBackend.fresh();
    const vault = await openVault({ ...db.options, warn: () => {} });
    try {
      await vault.system.createOrg('acme');
      await vault.org('acme').modules.install(manifest(WEATHER));
      await vault.org().modules.install(manifest(WEATHER));
      const same = { api_key: randomBytes(8).toString('hex') };
      await vault.org('acme').credentials.store(WEATHER, same);
      await vault.org().credentials.store(WEATHER, same);
      const rows = raw(vault).prepare('SELECT nonce, ciphertext FROM credentials ORDER BY org_id').all() as {
        nonce: Buffer;
        ciphertext: Buffer;
      }[];
      expect(rows).toHaveLength(2);
      expect(rows[0]?.nonce.equals(rows[1]?.nonce as Buffer)).toBe(false);
      expect(rows[0]?.ciphertext.equals(rows[1]?.ciphertext as Buffer)).toBe(false);
      const wrapped = raw(vault).prepare('SELECT org_id, wrapped FROM org_keys').all() as {
        wrapped: Buffer;
      }[];
      expect(wrapped).toHaveLength(2);
      expect(wrapped[0]?.wrapped.equals(wrapped[1]?.wrapped as Buffer)).toBe(false);
    } finally {
      await vault.close();
      await db.dispose();
    }
  });
});

describe('a data key created in a transaction that rolls back', () => {
  it('is not remembered: later credentials are sealed under the key that was stored', async () => {
    const db = await sqliteBackend.fresh();
    let vault = await openVault({ ...db.options, warn: () => {} });
    try {
      await vault.org().modules.install(manifest(WEATHER));
      const { storage, orgKeys } = internalsOf(vault);
      await expect(
        storage.transaction({ kind: 'org', orgId: 'default' }, async (tx) => {
          await orgKeys.currentKey(tx, 'default');
          // The second lookup reads the uncommitted row back: it must not be cached either.
          await orgKeys.currentKey(tx, 'default');
          throw new Error('abort after creating the data key');
        }),
      ).rejects.toThrow('abort');
      await vault.org().credentials.store(WEATHER, { api_key: 'after-the-rollback' });
      // A new process (no cache) must read what the first one wrote.
      await vault.close();
      vault = await openVault({ ...db.options, warn: () => {} });
      expect(await vault.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'after-the-rollback' });
    } finally {
      await vault.close();
      await db.dispose();
    }
  });
});
