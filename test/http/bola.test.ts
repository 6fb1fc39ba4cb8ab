import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { call, type HttpWorld, httpWorld, orgWithKeys, problemWithoutRequestId } from './support.js';

const backends = await selectedBackends();

const A_MODULE = 'weather/openweather';
const NEVER = 'weather/never-installed';

/** Replaces the object's id in an answer so "A's object" and "a missing object" can be compared. */
function normalized(body: Record<string, unknown>, id: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(body).replaceAll(id, '<id>')) as Record<string, unknown>;
}

/**
 * Broken object-level authorization: org B's owner key against org A's objects gets exactly the
 * answer of an object that does not exist (status and body, request id aside), and A's object is
 * untouched afterwards.
 */
describe.each(backends.map((b) => [b.name, b] as const))('BOLA on %s', (_name, backend) => {
  let world: HttpWorld;
  beforeAll(async () => {
    world = await httpWorld(backend);
  });
  afterAll(async () => world.close());

  const moduleRoutes: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; body?: unknown }> = [
    { method: 'GET', path: '' },
    { method: 'POST', path: '/enable' },
    { method: 'POST', path: '/disable' },
    { method: 'DELETE', path: '' },
    { method: 'GET', path: '/credentials' },
    { method: 'PUT', path: '/credentials', body: { credentials: { api_key: 'sk-from-b' } } },
    { method: 'DELETE', path: '/credentials' },
    { method: 'POST', path: '/oauth/authorize', body: {} },
  ];

  for (const r of moduleRoutes) {
    it(`${r.method} /v1/modules/:id${r.path}: A's module answers B like a missing one`, async () => {
      const a = await orgWithKeys(world.vault, 'bola-a');
      const b = await orgWithKeys(world.vault, 'bola-b');
      await world.vault.org(a.orgId).modules.install(manifest(A_MODULE));
      await world.vault.org(a.orgId).credentials.store(A_MODULE, { api_key: 'sk-a-secret' });
      const auditBefore = await auditTrail(world.vault, a.orgId);

      const onA = await call(world.app, r.method, `/v1/modules/${A_MODULE}${r.path}`, {
        key: b.keys.owner,
        body: r.body,
      });
      const onMissing = await call(world.app, r.method, `/v1/modules/${NEVER}${r.path}`, {
        key: b.keys.owner,
        body: r.body,
      });
      expect(onA.statusCode).toBe(404);
      expect(onMissing.statusCode).toBe(404);
      expect(normalized(problemWithoutRequestId(onA), A_MODULE)).toEqual(
        normalized(problemWithoutRequestId(onMissing), NEVER),
      );
      expect(onA.body).not.toContain('sk-a-secret');

      // A's module and credentials are exactly as they were; A's audit trail has nothing new.
      const mod = await world.vault.org(a.orgId).modules.get(A_MODULE);
      expect(mod?.status).toBe('installed');
      expect(await world.vault.org(a.orgId).credentials.retrieve(A_MODULE)).toEqual({
        api_key: 'sk-a-secret',
      });
      expect(await auditTrail(world.vault, a.orgId)).toEqual(auditBefore);
    });
  }

  it("PUT /v1/modules/:id by B installs into B only; A's module is untouched", async () => {
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    await world.vault.org(a.orgId).modules.install(manifest(A_MODULE, { version: '1.0.0' }));
    const res = await call(world.app, 'PUT', `/v1/modules/${A_MODULE}`, {
      key: b.keys.owner,
      body: manifest(A_MODULE, { version: '9.9.9' }),
    });
    expect(res.statusCode).toBe(201); // created in B: B never had it
    expect(res.json().org_id).toBe(b.orgId);
    expect((await world.vault.org(a.orgId).modules.get(A_MODULE))?.version).toBe('1.0.0');
  });

  for (const action of ['rotate', 'revoke'] as const) {
    it(`${action} of A's key by B's owner is 404 like an unknown key id, and A's key still works`, async () => {
      const a = await orgWithKeys(world.vault, 'bola-a');
      const b = await orgWithKeys(world.vault, 'bola-b');
      const target = a.keyIds.viewer;
      const unknown = 'ffffffffffffffff';
      const req = (id: string) =>
        action === 'rotate'
          ? call(world.app, 'POST', `/v1/api-keys/${id}/rotate`, { key: b.keys.owner, body: {} })
          : call(world.app, 'DELETE', `/v1/api-keys/${id}`, { key: b.keys.owner });
      const onA = await req(target);
      const onUnknown = await req(unknown);
      expect(onA.statusCode).toBe(404);
      expect(onUnknown.statusCode).toBe(404);
      expect(normalized(problemWithoutRequestId(onA), target)).toEqual(
        normalized(problemWithoutRequestId(onUnknown), unknown),
      );
      const me = await call(world.app, 'GET', '/v1/me', { key: a.keys.viewer });
      expect(me.statusCode).toBe(200);
      expect((await world.vault.org(a.orgId).keys.get(target))?.status).toBe('active');
    });
  }

  it("lists show only the caller's org: modules, keys, audit", async () => {
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    await world.vault.org(a.orgId).modules.install(manifest(A_MODULE));
    const modules = await call(world.app, 'GET', '/v1/modules', { key: b.keys.owner });
    expect(modules.json()).toEqual({ modules: [] });
    const keys = (await call(world.app, 'GET', '/v1/api-keys', { key: b.keys.owner })).json().api_keys;
    expect(keys.map((k: { org_id: string }) => k.org_id)).toEqual(Array(keys.length).fill(b.orgId));
    const audit = (await call(world.app, 'GET', '/v1/audit', { key: b.keys.owner })).json().events;
    expect(JSON.stringify(audit)).not.toContain(a.orgId);
    expect(JSON.stringify(audit)).not.toContain(A_MODULE);
  });

  it("audit checkpoint and export show only the caller's org", async () => {
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    await world.vault.org(a.orgId).modules.install(manifest(A_MODULE));
    const checkpoint = (await call(world.app, 'GET', '/v1/audit/checkpoint', { key: b.keys.owner })).json();
    const [bNewest] = await auditTrail(world.vault, b.orgId);
    expect(checkpoint).toMatchObject({ org_id: b.orgId, seq: bNewest?.seq, head: bNewest?.hash });
    const exported = await call(world.app, 'GET', '/v1/audit/export', { key: b.keys.owner });
    expect(exported.statusCode).toBe(200);
    const orgs = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).org_id);
    expect(orgs.length).toBeGreaterThan(0);
    expect(new Set(orgs)).toEqual(new Set([b.orgId]));
    expect(exported.body).not.toContain(a.orgId);
  });

  it("conversation routes: A's conversation answers B like a missing one", async () => {
    const routes = world.app.routeTable.map((r) => r.url);
    expect(routes).toContain('/v1/conversations/:conversation_id');
    expect(routes).toContain('/v1/conversations/:conversation_id/invoke');
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    await world.vault.org(a.orgId).modules.install(manifest('demo/echo'));
    const made = await call(world.app, 'POST', '/v1/conversations/conv-a/invoke', {
      key: a.keys.owner,
      body: { module_id: 'demo/echo', action: 'echo', input: { x: 1 } },
    });
    expect(made.statusCode).toBe(200);
    const onA = await call(world.app, 'GET', '/v1/conversations/conv-a', { key: b.keys.owner });
    const onMissing = await call(world.app, 'GET', '/v1/conversations/conv-z', { key: b.keys.owner });
    expect(onA.statusCode).toBe(404);
    expect(normalized(problemWithoutRequestId(onA), 'conv-a')).toEqual(
      normalized(problemWithoutRequestId(onMissing), 'conv-z'),
    );
    const pageOnA = await call(world.app, 'GET', '/v1/conversations/conv-a/tool-results', {
      key: b.keys.owner,
    });
    const pageOnMissing = await call(world.app, 'GET', '/v1/conversations/conv-z/tool-results', {
      key: b.keys.owner,
    });
    expect(pageOnA.statusCode).toBe(404);
    expect(normalized(problemWithoutRequestId(pageOnA), 'conv-a')).toEqual(
      normalized(problemWithoutRequestId(pageOnMissing), 'conv-z'),
    );
  });

  it("tool-results pages: B's conversation of the same id never shows A's results", async () => {
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    for (const org of [a, b]) {
      await world.vault.org(org.orgId).modules.install(manifest('demo/echo'));
      for (let i = 0; i < 3; i++) {
        const made = await call(world.app, 'POST', '/v1/conversations/same-id/invoke', {
          key: org.keys.owner,
          body: { module_id: 'demo/echo', action: 'echo', input: { from: org.orgId, i } },
        });
        expect(made.statusCode).toBe(200);
      }
    }
    const page = await call(world.app, 'GET', '/v1/conversations/same-id/tool-results?limit=500', {
      key: b.keys.viewer,
    });
    expect(page.statusCode).toBe(200);
    const froms = page
      .json()
      .tool_results.map((t: { output: { input: { from: string } } }) => t.output.input.from);
    expect(froms).toEqual([b.orgId, b.orgId, b.orgId]);
    expect(page.body).not.toContain(a.orgId);
  });

  it("POST /v1/mcp: A's tool answers B like a missing one, and A's module is never run", async () => {
    const a = await orgWithKeys(world.vault, 'bola-a');
    const b = await orgWithKeys(world.vault, 'bola-b');
    await world.vault.org(a.orgId).modules.install(manifest('demo/echo'));
    const auditBefore = await auditTrail(world.vault, a.orgId);
    const toolCall = (name: string) =>
      call(world.app, 'POST', '/v1/mcp', {
        key: b.keys.owner,
        headers: { accept: 'application/json, text/event-stream' },
        body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } },
      });
    const onA = await toolCall('demo__echo__echo');
    const onMissing = await toolCall('demo__never__echo');
    expect(onA.statusCode).toBe(200);
    expect(onA.json().error.code).toBe(-32602);
    expect(normalized(onA.json(), 'demo__echo__echo')).toEqual(
      normalized(onMissing.json(), 'demo__never__echo'),
    );
    expect(await auditTrail(world.vault, a.orgId)).toEqual(auditBefore);
    expect((await world.vault.org(a.orgId).modules.get('demo/echo'))?.successCount).toBe(0);
  });
});
