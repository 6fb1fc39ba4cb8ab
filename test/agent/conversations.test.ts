import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinCatalogue, ECHO_MODULE } from '../../src/agent/builtin-modules.js';
import { createInitialState } from '../../src/agent/state.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { failure } from './support/fixtures.js';

const ECHO = 'demo/echo';
const echoManifest = () => ({
  name: 'echo',
  category: 'demo',
  platform: 'echo',
  version: '1.0.0',
  credential_fields: [{ name: 'api_key' }, { name: 'region' }],
});

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] conversations and built-in modules`, () => {
    let vault: Vault;
    let close: () => Promise<void>;

    beforeEach(async () => {
      const builtins = new BuiltinCatalogue().register(ECHO, ECHO_MODULE).register('demo/leaky', {
        actions: {
          whoami: ({ orgId, credentials }) => ({ orgId, key: credentials?.api_key }),
          boom: ({ credentials }) => {
            throw new Error(`cannot use ${String(credentials?.api_key)}`);
          },
          hang: () => new Promise(() => {}),
        },
      });
      ({ vault, close } = await freshVault(backend, { builtins, httpTimeoutMs: 200 }));
      await vault.system.createOrg('acme');
    });
    afterEach(async () => close());

    it('demo/echo returns the input and the credential field names, never values', async () => {
      const acme = vault.org('acme');
      await acme.modules.install(echoManifest());
      await acme.credentials.store(ECHO, { api_key: 'echo-secret-1234', region: 'eu' });
      const { result, state } = await acme.conversations.invoke('c1', {
        moduleId: ECHO,
        action: 'echo',
        input: { hello: 'world' },
      });
      expect(result).toEqual({ input: { hello: 'world' }, credential_fields: ['api_key', 'region'] });
      expect(state).toMatchObject({ conversationId: 'c1', orgId: 'acme', totalToolCalls: 1 });
      expect(state.toolResults[0]).toMatchObject({ moduleId: ECHO, action: 'echo', ok: true, error: null });
      expect(await acme.conversations.get('c1')).toEqual(state);
      expect(await acme.conversations.get('never')).toBeNull();
    });

    it("NEXUS defect 8: the state's org reaches the module call (never a hard-coded default)", async () => {
      await vault.org().modules.install(echoManifest());
      await vault.org().credentials.store(ECHO, { api_key: 'default-org-key-1' });
      await vault.org('acme').modules.install({ ...echoManifest(), version: '2.0.0' });
      await vault
        .org('acme')
        .modules.install({ name: 'leaky', category: 'demo', platform: 'leaky', version: '1.0.0' });
      await vault.org('acme').credentials.store('demo/leaky', { api_key: 'acme-only-key-42' });
      // The module code sees the org and the credentials of the state's org, and only those.
      const acmeState = createInitialState('run-1', { orgId: 'acme' });
      const { result } = await vault.org('acme').conversations.invoke(acmeState, {
        moduleId: 'demo/leaky',
        action: 'whoami',
      });
      expect(result).toEqual({ orgId: 'acme', key: '[redacted]' });
      // The default org has no such module: its handle never falls through to acme's.
      await expect(
        vault
          .org()
          .conversations.invoke(createInitialState('run-2'), { moduleId: 'demo/leaky', action: 'whoami' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // A state that names acme is refused by another org's handle, as if nothing existed.
      await expect(
        vault.org().conversations.invoke(acmeState, { moduleId: ECHO, action: 'echo' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('the default org is where a handle with no org, and a state with orgId null, land', async () => {
      await vault.org().modules.install(echoManifest());
      const external = createInitialState('loop-1', { userId: 'u1', metadata: { source: 'langgraph' } });
      const { state } = await vault.org().conversations.invoke(external, { moduleId: ECHO, action: 'echo' });
      expect(state).toMatchObject({
        orgId: null,
        userId: 'u1',
        totalToolCalls: 1,
        metadata: { source: 'langgraph' },
      });
      expect((await vault.org('default').conversations.get('loop-1'))?.toolResults).toHaveLength(1);
    });

    it('the lower-level invoke appends to the checkpoint and takes the caller-owned fields from its state', async () => {
      const acme = vault.org('acme');
      await acme.modules.install(echoManifest());
      const first = await acme.conversations.invoke('loop', {
        moduleId: ECHO,
        action: 'echo',
        input: { n: 1 },
      });
      // The agent loop moved on with its own messages, from a state that lacks a later tool result.
      const stale = { ...first.state, messages: [{ role: 'user', content: 'hi' }], nextAction: 'tool' };
      await acme.conversations.invoke('loop', { moduleId: ECHO, action: 'echo', input: { n: 2 } });
      const { state } = await acme.conversations.invoke(stale, {
        moduleId: ECHO,
        action: 'echo',
        input: { n: 3 },
      });
      expect(state.toolResults.map((t) => (t.output as { input: { n: number } }).input.n)).toEqual([1, 2, 3]);
      expect(state).toMatchObject({
        totalToolCalls: 3,
        messages: [{ role: 'user', content: 'hi' }],
        nextAction: 'tool',
      });
      expect(await acme.conversations.get('loop')).toEqual(state);
    });

    it('credentials reach the handler of the org that called; what it returns or throws is scrubbed', async () => {
      const acme = vault.org('acme');
      await acme.modules.install({ name: 'leaky', category: 'demo', platform: 'leaky', version: '1.0.0' });
      await acme.credentials.store('demo/leaky', { api_key: 'handler-secret-99' });
      const { result } = await acme.conversations.invoke('c', { moduleId: 'demo/leaky', action: 'whoami' });
      expect(result).toEqual({ orgId: 'acme', key: '[redacted]' });

      const err = await failure(acme.conversations.invoke('c', { moduleId: 'demo/leaky', action: 'boom' }));
      expect(err).toMatchObject({
        code: 'MODULE_CALL_FAILED',
        message: 'module "demo/leaky" failed: cannot use [redacted]',
      });
      expect(JSON.stringify(await acme.conversations.get('c'))).not.toContain('handler-secret-99');

      const hung = await failure(acme.conversations.invoke('c', { moduleId: 'demo/leaky', action: 'hang' }));
      expect(hung).toMatchObject({ code: 'MODULE_CALL_FAILED', details: { reason: 'timeout' } });
      expect((await acme.modules.get('demo/leaky'))?.failureCount).toBe(2);
    });

    it('rejects malformed calls and states before anything runs', async () => {
      const acme = vault.org('acme');
      await expect(
        acme.conversations.invoke('c', { moduleId: 'nope', action: 'echo' }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        acme.conversations.invoke('c', {
          moduleId: ECHO,
          action: 'echo',
          input: [] as unknown as Record<string, unknown>,
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        acme.conversations.invoke({ conversationId: 'c', orgId: 'acme', toolResults: 'x' } as never, {
          moduleId: ECHO,
          action: 'echo',
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        vault.org('ghost').conversations.invoke('c', { moduleId: ECHO, action: 'echo' }),
      ).rejects.toMatchObject({
        code: 'ORG_NOT_FOUND',
      });
      expect(await acme.conversations.get('c')).toBeNull();
    });
  });
}
