import { afterEach, describe, expect, it } from 'vitest';
import { SqlCredentialStore } from '../../src/storage/sql/credentials.js';
import { SqlModuleStore } from '../../src/storage/sql/modules.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { settledOrWaitingOnLock } from '../support/lock-wait.js';

/**
 * Review finding: on PostgreSQL a reinstall that changes the destination, racing the first store
 * of the module's credentials, decided on reads the store had not committed yet: the destination
 * moved without manage_credentials and the credential no longer opened. The module row is now
 * locked by both (SELECT ... FOR UPDATE), so one waits for the other, on either engine.
 */
const MOD = 'svc/p';
const manifest = (base: string, version: string) => ({
  name: 'p',
  category: 'svc',
  platform: 'p',
  version,
  http: {
    base_url: base,
    auth: { in: 'header', name: 'x-key', credential: 'api_key' },
    actions: { a: { method: 'GET', path: '/' } },
  },
});

/** Holds the first call of a store method until released; the transaction around it stays open. */
function holdFirstCall<T extends object>(proto: T, method: keyof T) {
  const original = proto[method] as (...args: unknown[]) => Promise<unknown>;
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const held = new Promise<void>((r) => {
    reached = r;
  });
  let first = true;
  (proto as Record<keyof T, unknown>)[method] = async function (this: unknown, ...args: unknown[]) {
    if (first) {
      first = false;
      reached();
      await gate;
    }
    return original.apply(this, args);
  };
  return { held, release, restore: () => ((proto as Record<keyof T, unknown>)[method] = original) };
}

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] a reinstall and a credential store of one module are serialised`, () => {
    let restore = () => {};
    afterEach(() => restore());

    /** A vault with org acme, an owner and an operator handle, and the module at its first destination. */
    async function acmeWithModule() {
      const { vault, close } = await freshVault(backend);
      await vault.system.createOrg('acme');
      const owner = vault.org('acme', { actorKeyId: null, requestId: null, role: 'owner' });
      const operator = vault.org('acme', { actorKeyId: null, requestId: null, role: 'operator' });
      await owner.modules.install(manifest('https://good.example', '1.0.0'));
      return { vault, owner, operator, close };
    }

    it('an operator reinstall in progress, then the first store: the credential opens for the manifest it ends up with', async () => {
      const { vault, owner, operator, close } = await acmeWithModule();
      try {
        const hold = holdFirstCall(SqlModuleStore.prototype, 'upsertModule');
        restore = hold.restore;
        const install = operator.modules.install(manifest('https://moved.example', '1.0.1'));
        await hold.held;
        const store = owner.credentials.store(MOD, { api_key: 'sk_live_SECRET_123456' });
        // The store either finished on stale reads (the old defect) or waits for the module row.
        await settledOrWaitingOnLock(vault, store);
        hold.release();
        await install;
        await store;
        expect((await owner.modules.get(MOD))?.manifest.http).toMatchObject({
          base_url: 'https://moved.example',
        });
        expect(await owner.credentials.retrieve(MOD)).toEqual({ api_key: 'sk_live_SECRET_123456' });
      } finally {
        await close();
      }
    });

    it('a store in progress, then an operator reinstall that moves the destination: the reinstall is refused', async () => {
      const { vault, owner, operator, close } = await acmeWithModule();
      try {
        const hold = holdFirstCall(SqlCredentialStore.prototype, 'upsertCredential');
        restore = hold.restore;
        const store = owner.credentials.store(MOD, { api_key: 'sk_live_SECRET_123456' });
        await hold.held;
        const install = operator.modules.install(manifest('https://moved.example', '1.0.1'));
        await settledOrWaitingOnLock(vault, install);
        hold.release();
        await store;
        await expect(install).rejects.toMatchObject({ code: 'CREDENTIAL_DESTINATION' });
        expect((await owner.modules.get(MOD))?.manifest.http).toMatchObject({
          base_url: 'https://good.example',
        });
        expect(await owner.credentials.retrieve(MOD)).toEqual({ api_key: 'sk_live_SECRET_123456' });
      } finally {
        await close();
      }
    });
  });
}
