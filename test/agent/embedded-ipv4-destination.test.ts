import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure, httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const MOD = 'weather/openweather';

/** IPv6 literals that embed 127.0.0.1, as a manifest's base_url may spell them. */
const LOOPBACK_LITERALS = [
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[::7f00:1]',
  '[::127.0.0.1]',
  '[::ffff:0:7f00:1]',
  '[64:ff9b::7f00:1]',
  '[64:ff9b:1::7f00:1]',
  '[2002:7f00:1::1]',
  '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
];

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] an HTTP module whose host is an IPv4-embedding IPv6 literal`, () => {
    let server: ModuleServer;
    const closers: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      // On `::` the server also answers IPv4-mapped connections, so ::ffff:127.0.0.1 really reaches it.
      server = await new ModuleServer()
        .route('GET', '/weather', (_req, res) => json(res, 200, { ok: 1 }))
        .start('::');
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await server.stop();
    });

    async function vaultFor(host: string, allowPrivate: boolean): Promise<Vault> {
      const { vault, close } = await freshVault(backend, {
        httpAllowPrivate: allowPrivate,
        httpTimeoutMs: 3000,
      });
      closers.push(close);
      await vault.org().modules.install(httpModule(MOD, server.url(host)));
      await vault.org().credentials.store(MOD, { api_key: 'embedded-v4-key-123' });
      return vault;
    }
    const invoke = (vault: Vault) =>
      vault.org().conversations.invoke('c', { moduleId: MOD, action: 'current', input: { q: 'x' } });

    it('is refused before connecting, so the loopback server receives 0 requests', async () => {
      for (const host of LOOPBACK_LITERALS) {
        const err = await failure(invoke(await vaultFor(host, false)));
        expect(err, host).toMatchObject({ details: { reason: 'destination_refused' } });
      }
      expect(server.seen).toHaveLength(0);
    });

    it('the same kind of literal reaches the server when ORGVAULT_HTTP_ALLOW_PRIVATE=1', async () => {
      const vault = await vaultFor('[::ffff:127.0.0.1]', true);
      expect((await invoke(vault)).result).toEqual({ status: 200, body: { ok: 1 } });
      expect(server.seen).toHaveLength(1);
    });
  });
}
