import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInitialState } from '../../src/agent/state.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure, httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const MOD = 'weather/openweather';
const KEY = 'refusal-test-key-123456';

function upstream(): ModuleServer {
  return new ModuleServer()
    .route('GET', '/weather', (_req, res) => json(res, 200, { ok: true }))
    .route('GET', '/to-other-host', (req, res) => {
      // Same server, named differently: another host as far as the module's origin goes.
      res
        .writeHead(302, { location: `http://localhost:${String(req.headers.host).split(':')[1]}/weather` })
        .end();
    })
    .route('GET', '/to-same-host', (_req, res) => {
      res.writeHead(302, { location: '/weather' }).end();
    })
    .route('GET', '/big', (_req, res) => json(res, 200, { blob: 'x'.repeat(8192) }))
    .route('GET', '/big-chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 16; i++) res.write('y'.repeat(1024));
      res.end();
    })
    .route('GET', '/slow', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 4000));
      json(res, 200, { late: true });
    });
}

const actions = {
  current: { method: 'GET', path: '/weather' },
  other_host: { method: 'GET', path: '/to-other-host' },
  same_host: { method: 'GET', path: '/to-same-host' },
  big: { method: 'GET', path: '/big' },
  big_chunked: { method: 'GET', path: '/big-chunked' },
  slow: { method: 'GET', path: '/slow' },
};

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] refusals are clear errors, recorded and counted`, () => {
    let server: ModuleServer;
    const closers: Array<() => Promise<void>> = [];

    async function setup(extra: Record<string, unknown> = {}, baseUrl?: string): Promise<Vault> {
      const { vault, close } = await freshVault(backend, {
        httpAllowPrivate: true,
        httpTimeoutMs: 5000,
        httpMaxResponseBytes: 4096,
        ...extra,
      });
      closers.push(close);
      await vault.system.createOrg('acme');
      await vault.system.createOrg('globex');
      await vault.org('acme').modules.install(httpModule(MOD, baseUrl ?? server.url(), { actions }));
      await vault.org('acme').credentials.store(MOD, { api_key: KEY });
      return vault;
    }

    beforeEach(async () => {
      server = await upstream().start();
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await server.stop();
    });

    const call = (vault: Vault, action: string, org = 'acme', conv = 'c1') =>
      vault.org(org).conversations.invoke(conv, { moduleId: MOD, action, input: {} });

    /** The failed call left a failed tool result and a failure audit event. */
    async function expectRecorded(vault: Vault, org: string, code: string) {
      const state = await vault.org(org).conversations.get('c1');
      const last = state?.toolResults.at(-1);
      expect(last).toMatchObject({ moduleId: MOD, ok: false, error: { code } });
      expect(state?.totalToolCalls).toBe(state?.toolResults.length);
      const [event] = await vault.org(org).audit.list({ limit: 1 });
      expect(event).toMatchObject({
        action: 'module.invoke',
        outcome: 'failure',
        targetId: MOD,
        details: { code },
      });
    }

    it('disabled module: MODULE_DISABLED, nothing sent', async () => {
      const vault = await setup();
      await vault.org('acme').modules.disable(MOD);
      const err = await failure(call(vault, 'current'));
      expect(err).toMatchObject({ code: 'MODULE_DISABLED', status: 409 });
      expect(err.message).toContain('disabled');
      expect(err.state.toolResults).toHaveLength(1);
      await expectRecorded(vault, 'acme', 'MODULE_DISABLED');
      expect(server.seen).toHaveLength(0);
    });

    it('uninstalled module: NOT_FOUND', async () => {
      const vault = await setup();
      await vault.org('acme').modules.uninstall(MOD);
      expect(await failure(call(vault, 'current'))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await expectRecorded(vault, 'acme', 'NOT_FOUND');
      expect(server.seen).toHaveLength(0);
    });

    it("another org's module: NOT_FOUND, as if it did not exist", async () => {
      const vault = await setup();
      const err = await failure(call(vault, 'current', 'globex'));
      expect(err).toMatchObject({ code: 'NOT_FOUND' });
      expect(err.message).toBe(`module "${MOD}" is not installed`);
      await expectRecorded(vault, 'globex', 'NOT_FOUND');
      expect(server.seen).toHaveLength(0);
    });

    it("another org's conversation: not visible, and its state cannot be used from here", async () => {
      const vault = await setup();
      const { state } = await call(vault, 'current');
      expect(await vault.org('globex').conversations.get('c1')).toBeNull();

      const err = await failure(
        vault.org('globex').conversations.invoke(state, { moduleId: MOD, action: 'current', input: {} }),
      );
      expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'conversation "c1" not found' });
      // Denied, audited in the org that asked, and nothing ran or changed in acme.
      const [event] = await vault.org('globex').audit.list({ limit: 1 });
      expect(event).toMatchObject({ action: 'module.invoke', outcome: 'denied' });
      expect((await vault.org('acme').conversations.get('c1'))?.totalToolCalls).toBe(1);
      expect(server.seen).toHaveLength(1);

      // A default-org state (orgId null) belongs to default, not to acme.
      const stray = createInitialState('c9');
      expect(
        await failure(vault.org('acme').conversations.invoke(stray, { moduleId: MOD, action: 'current' })),
      ).toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('private address without ORGVAULT_HTTP_ALLOW_PRIVATE: refused on the literal and on the resolved name', async () => {
      for (const host of ['127.0.0.1', 'localhost', '[::1]', '[::ffff:127.0.0.1]']) {
        const vault = await setup({ httpAllowPrivate: false }, server.url(host));
        const err = await failure(call(vault, 'current'));
        expect(err).toMatchObject({
          code: 'MODULE_NOT_EXECUTABLE',
          status: 409,
          details: { reason: 'destination_refused' },
        });
        expect(err.message).toContain('private or loopback');
        await expectRecorded(vault, 'acme', 'MODULE_NOT_EXECUTABLE');
        expect((await vault.org('acme').modules.get(MOD))?.failureCount).toBe(1);
      }
      expect(server.seen).toHaveLength(0);

      // With the flag, the same name is looked up and reached (whichever family the lookup answers first).
      const allowed = await setup({ httpAllowPrivate: true }, server.url('localhost'));
      expect((await call(allowed, 'current')).result).toEqual({ status: 200, body: { ok: true } });
      expect(server.seen).toHaveLength(1);
    });

    it('redirect to another host: refused; a same-host redirect is followed', async () => {
      const vault = await setup();
      const err = await failure(call(vault, 'other_host'));
      expect(err).toMatchObject({ code: 'MODULE_CALL_FAILED', details: { reason: 'redirect_refused' } });
      expect(server.seen.map((r) => r.path)).toEqual(['/to-other-host']);
      await expectRecorded(vault, 'acme', 'MODULE_CALL_FAILED');
      expect((await vault.org('acme').modules.get(MOD))?.failureCount).toBe(1);

      const followed = await call(vault, 'same_host');
      expect(followed.result).toEqual({ status: 200, body: { ok: true } });
      expect(server.seen.at(-1)?.headers['x-api-key']).toBe(KEY);
    });

    it('oversize response: refused whether announced by content-length or streamed', async () => {
      const vault = await setup();
      for (const action of ['big', 'big_chunked']) {
        const err = await failure(call(vault, action));
        expect(err).toMatchObject({ code: 'MODULE_CALL_FAILED', details: { reason: 'response_too_large' } });
        expect(err.message).toContain('4096 bytes');
      }
      await expectRecorded(vault, 'acme', 'MODULE_CALL_FAILED');
      expect((await vault.org('acme').modules.get(MOD))?.failureCount).toBe(2);
    });

    it('slow server past the time limit: refused after the limit, not after the server', async () => {
      const vault = await setup({ httpTimeoutMs: 500 });
      const started = Date.now();
      const err = await failure(call(vault, 'slow'));
      expect(Date.now() - started).toBeLessThan(3500);
      expect(err).toMatchObject({ code: 'MODULE_CALL_FAILED', details: { reason: 'timeout' } });
      await expectRecorded(vault, 'acme', 'MODULE_CALL_FAILED');
      const module = await vault.org('acme').modules.get(MOD);
      expect(module).toMatchObject({ failureCount: 1, healthStatus: 'degraded' });
    });

    it('a module with neither handler nor http section: MODULE_NOT_EXECUTABLE', async () => {
      const vault = await setup();
      await vault
        .org('acme')
        .modules.install({ name: 'plain', category: 'misc', platform: 'plain', version: '1.0.0' });
      const err = await failure(
        vault.org('acme').conversations.invoke('c1', { moduleId: 'misc/plain', action: 'run' }),
      );
      expect(err).toMatchObject({ code: 'MODULE_NOT_EXECUTABLE', status: 409 });
    });

    it('caller mistakes (unknown action, missing path parameter) are 400 and do not count against the module', async () => {
      const vault = await setup();
      await vault
        .org('acme')
        .modules.install(
          httpModule(MOD, server.url(), { actions: { item: { method: 'GET', path: '/items/{id}' } } }),
        );
      expect(await failure(call(vault, 'nope'))).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      expect(await failure(call(vault, 'item'))).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      expect((await vault.org('acme').modules.get(MOD))?.failureCount).toBe(0);
      await expect(
        vault.org('acme').conversations.invoke('bad id with spaces', { moduleId: MOD, action: 'current' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
}
