import { describe, expect, it } from 'vitest';
import { seal } from '../../src/crypto/aead.js';
import { openVault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';
import { rawSql } from '../support/raw-sql.js';

/**
 * Rows written before credentials were bound to their destination (associated-data layout 1: org,
 * module, key version) must keep working after the upgrade: the vault re-seals them once at open,
 * for their module's present destination, and from then on only the bound layout opens.
 */
const legacyAad = (orgId: string, moduleId: string, keyVersion: number) =>
  Buffer.from(`orgvault/credential/v1\0${orgId}\0${moduleId}\0${keyVersion}`);

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] credentials sealed before destinations were bound`, () => {
    it('are upgraded at open, keep their values, and then open only with the bound layout', async () => {
      const { vault, db, close } = await freshVault(backend);
      try {
        await vault.system.createOrg('acme');
        await vault.org('acme').modules.install(manifest(WEATHER));
        await vault.org('acme').credentials.store(WEATHER, { api_key: 'stored-before-upgrade' });
        const key = await internalsOf(vault).orgKeys.keyVersion('acme', 1);
        expect(key).not.toBeNull();
        // What an older orgvault wrote for these values.
        const old = seal(
          key as Buffer,
          Buffer.from(JSON.stringify({ api_key: 'stored-before-upgrade' })),
          legacyAad('acme', WEATHER, 1),
        );
        const legacyRow = [old.nonce, old.ciphertext, 'acme', WEATHER];
        const setLegacy =
          'UPDATE credentials SET nonce = ?, ciphertext = ?, aad_version = 1 WHERE org_id = ? AND module_id = ?';
        expect(await rawSql(db, 'acme', setLegacy, legacyRow)).toBe(1);
        // Before the upgrade ran, retrieve refuses the old layout rather than open it unbound.
        await expect(vault.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
          code: 'DECRYPTION_FAILED',
        });
        await vault.close();

        const reopened = await openVault({ ...db.options, warn: () => {} });
        try {
          expect(await reopened.org('acme').credentials.retrieve(WEATHER)).toEqual({
            api_key: 'stored-before-upgrade',
          });
          // Flagging the upgraded row as old again does not make it open without its destination.
          expect(
            await rawSql(
              db,
              'acme',
              'UPDATE credentials SET aad_version = 1 WHERE org_id = ? AND module_id = ?',
              ['acme', WEATHER],
            ),
          ).toBe(1);
          await expect(reopened.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
            code: 'DECRYPTION_FAILED',
          });
          expect(await internalsOf(reopened).credentials.upgradeLegacySeals()).toEqual({
            upgraded: 0,
            unreadable: 1,
          });
        } finally {
          await reopened.close();
        }
      } finally {
        await close();
      }
    });
  });
}
