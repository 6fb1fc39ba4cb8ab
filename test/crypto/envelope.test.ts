import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';
import { manifest, SEARCH, WEATHER } from '../support/manifests.js';

const raw = (vault: Vault) => (internalsOf(vault).storage as SqliteStorage).rawConnection;

/** NEXUS defect 6: its ciphertexts were not bound to org or module, so a copied row decrypted fine. */
describe('credential ciphertexts are bound to their org and module', () => {
  let db: FreshDatabase;
  let vault: Vault;

  beforeEach(async () => {
    db = await sqliteBackend.fresh();
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

  const copyRow = (from: [string, string], to: [string, string]) =>
    raw(vault)
      .prepare(
        `UPDATE credentials SET (key_version, nonce, ciphertext, field_names, created_at, updated_at) =
           (SELECT key_version, nonce, ciphertext, field_names, created_at, updated_at FROM credentials WHERE org_id = ? AND module_id = ?)
         WHERE org_id = ? AND module_id = ?`,
      )
      .run(from[0], from[1], to[0], to[1]);

  it('a row copied into another org fails to decrypt and never yields the other secret', async () => {
    expect(copyRow(['acme', WEATHER], ['globex', WEATHER]).changes).toBe(1);
    const err = await vault
      .org('globex')
      .credentials.retrieve(WEATHER)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DECRYPTION_FAILED' });
    expect(String((err as Error).message)).not.toContain('acme-weather-secret');
    // The source is untouched.
    expect(await vault.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'acme-weather-secret' });
  });

  it('a row copied into another module of the same org fails to decrypt', async () => {
    expect(copyRow(['acme', WEATHER], ['acme', SEARCH]).changes).toBe(1);
    await expect(vault.org('acme').credentials.retrieve(SEARCH)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it("an org's wrapped data key copied to another org does not unwrap there", async () => {
    await vault.close();
    // A fresh process (no cached keys) after the copy: the wrapping is bound to the org id.
    const db2 = new BetterSqlite3(db.options.databaseUrl.slice('sqlite:'.length));
    db2
      .prepare(
        `UPDATE org_keys SET (master_key_id, wrapped) = (SELECT master_key_id, wrapped FROM org_keys WHERE org_id = 'acme' AND version = 1)
         WHERE org_id = 'globex' AND version = 1`,
      )
      .run();
    db2.close();
    vault = await openVault({ ...db.options, warn: () => {} });
    copyRow(['acme', WEATHER], ['globex', WEATHER]);
    await expect(vault.org('globex').credentials.retrieve(WEATHER)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it.each(['nonce', 'ciphertext'])('a flipped byte in the %s fails to decrypt', async (column) => {
    const row = raw(vault)
      .prepare(`SELECT ${column} AS v FROM credentials WHERE org_id = 'acme' AND module_id = ?`)
      .get(WEATHER) as { v: Buffer };
    const flipped = Buffer.from(row.v);
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] as number) ^ 0x01;
    raw(vault)
      .prepare(`UPDATE credentials SET ${column} = ? WHERE org_id = 'acme' AND module_id = ?`)
      .run(flipped, WEATHER);
    await expect(vault.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('a changed key version fails to decrypt', async () => {
    raw(vault)
      .prepare("UPDATE credentials SET key_version = 2 WHERE org_id = 'acme' AND module_id = ?")
      .run(WEATHER);
    await expect(vault.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('no plaintext secret is in the database file', async () => {
    await vault.close();
    const bytes = readFileSync(db.options.databaseUrl.slice('sqlite:'.length));
    const wal = (() => {
      try {
        return readFileSync(`${db.options.databaseUrl.slice('sqlite:'.length)}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    for (const secret of ['acme-weather-secret', 'globex-weather-secret', 'acme-search-secret']) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(wal.includes(Buffer.from(secret))).toBe(false);
    }
    vault = await openVault({ ...db.options, warn: () => {} });
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
