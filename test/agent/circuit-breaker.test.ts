import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure, httpModule } from './support/fixtures.js';
import { json, ModuleServer } from './support/module-server.js';

const MOD = 'weather/flaky';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] circuit breaker`, () => {
    let vault: Vault;
    let close: () => Promise<void>;
    let server: ModuleServer;
    let healthy = false;
    let now = Date.parse('2026-03-01T10:00:00.000Z');

    beforeEach(async () => {
      healthy = false;
      now = Date.parse('2026-03-01T10:00:00.000Z');
      server = await new ModuleServer()
        .route('GET', '/weather', (_req, res) =>
          healthy ? json(res, 200, { ok: true }) : json(res, 503, { down: true }),
        )
        .start();
      ({ vault, close } = await freshVault(backend, {
        httpAllowPrivate: true,
        breakerFailureThreshold: 3,
        breakerCooldownMs: 30_000,
        clock: () => new Date(now),
      }));
      await vault.org().modules.install(httpModule(MOD, server.url()));
      await vault.org().credentials.store(MOD, { api_key: 'breaker-key-0001' });
    });
    afterEach(async () => {
      await close();
      await server.stop();
    });

    const call = () => vault.org().conversations.invoke('c', { moduleId: MOD, action: 'current', input: {} });

    it('opens after the configured failures, fails fast during the cool-down, closes after a good trial', async () => {
      for (let i = 1; i <= 3; i++) {
        expect(await failure(call())).toMatchObject({
          code: 'MODULE_CALL_FAILED',
          details: { upstream_status: 503 },
        });
        now += 1000;
      }
      expect(await vault.org().modules.get(MOD)).toMatchObject({
        healthStatus: 'unhealthy',
        failureCount: 3,
      });
      expect((await vault.system.listUnhealthy()).map((m) => m.moduleId)).toEqual([MOD]);
      expect(server.seen).toHaveLength(3);

      // Open: refused without reaching the upstream, and not counted as another failure.
      healthy = true;
      const fast = await failure(call());
      expect(fast).toMatchObject({ code: 'MODULE_UNHEALTHY', status: 503 });
      expect(fast.message).toMatch(/refused for \d+ s more/);
      expect(server.seen).toHaveLength(3);
      expect((await vault.org().modules.get(MOD))?.failureCount).toBe(3);

      now += 28_000; // 29 s after the last failure
      expect(await failure(call())).toMatchObject({ code: 'MODULE_UNHEALTHY' });
      expect(server.seen).toHaveLength(3);

      // Cool-down over: one trial goes through and, succeeding, closes the breaker.
      now += 1000;
      expect((await call()).result).toEqual({ status: 200, body: { ok: true } });
      expect(server.seen).toHaveLength(4);
      expect(await vault.org().modules.get(MOD)).toMatchObject({ healthStatus: 'healthy', successCount: 1 });
      await call();
      expect(server.seen).toHaveLength(5);

      const state = await vault.org().conversations.get('c');
      expect(state?.toolResults.map((t) => t.error?.code ?? 'ok')).toEqual([
        'MODULE_CALL_FAILED',
        'MODULE_CALL_FAILED',
        'MODULE_CALL_FAILED',
        'MODULE_UNHEALTHY',
        'MODULE_UNHEALTHY',
        'ok',
        'ok',
      ]);
    });

    it('a failed trial opens it again for another cool-down; one trial at a time', async () => {
      for (let i = 0; i < 3; i++) await failure(call());
      now += 31_000;

      // Two calls at once after the cool-down: one is the trial, the other fails fast.
      const both = await Promise.allSettled([call(), call()]);
      const codes = both
        .map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'))
        .sort();
      expect(codes).toEqual(['MODULE_CALL_FAILED', 'MODULE_UNHEALTHY']);
      expect(server.seen).toHaveLength(4);

      healthy = true;
      now += 10_000;
      expect(await failure(call())).toMatchObject({ code: 'MODULE_UNHEALTHY' });
      now += 21_000;
      await call();
      expect((await vault.org().modules.get(MOD))?.healthStatus).toBe('healthy');
    });

    it('a success in between resets the streak', async () => {
      await failure(call());
      await failure(call());
      healthy = true;
      await call();
      healthy = false;
      await failure(call());
      await failure(call());
      expect(await vault.org().modules.get(MOD)).toMatchObject({ healthStatus: 'degraded', failureCount: 4 });
      expect(await failure(call())).toMatchObject({ code: 'MODULE_CALL_FAILED' });
      expect(await failure(call())).toMatchObject({ code: 'MODULE_UNHEALTHY' });
    });
  });
}
