import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasPermission } from '../../src/auth/permissions.js';
import { MAX_MCP_BATCH } from '../../src/http/routes/mcp.js';
import { FORBIDDEN_ERROR } from '../../src/mcp/mcp-server.js';
import { httpModule } from '../agent/support/fixtures.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import {
  call,
  type HttpWorld,
  httpWorld,
  type OrgKeys,
  orgWithKeys,
  ROLES,
  wrongSecret,
} from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { listening, mcpClient, post, rpcError } from './support.js';

const MOD = 'crm/widgets';
const SECRET_A = 'sk-org-a-0123456789abcdef';
const SECRET_B = 'sk-org-b-fedcba9876543210';

/** Every form of a secret an upstream might echo, as the scrubber hunts them. */
const formsOf = (secret: string): string[] => {
  const bytes = Buffer.from(secret);
  return [
    secret,
    encodeURIComponent(secret),
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
  ];
};

/** An upstream that echoes what it was sent (headers, query, body), in plain and encoded forms. */
function upstream(): ModuleServer {
  const echo =
    (status: number) =>
    (
      req: Parameters<Parameters<ModuleServer['route']>[2]>[0],
      res: Parameters<Parameters<ModuleServer['route']>[2]>[1],
    ) => {
      const key = String(req.headers['x-api-key'] ?? '');
      json(res, status, {
        path: req.path,
        query: req.query,
        received_key: key,
        received_base64: Buffer.from(key).toString('base64'),
        received_hex: Buffer.from(key).toString('hex'),
        body: req.body === '' ? null : JSON.parse(req.body),
      });
    };
  return new ModuleServer()
    .route('GET', '/a/items/42', echo(200))
    .route('POST', '/a/items', echo(201))
    .route('GET', '/b/search', echo(200))
    .route('GET', '/a/broken', echo(500));
}

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] MCP over Streamable HTTP`, () => {
    let world: HttpWorld;
    let server: ModuleServer;
    let url: URL;
    let a: OrgKeys;
    let b: OrgKeys;
    const clients: Client[] = [];
    const connect = async (key?: string) => {
      const client = await mcpClient(url, key);
      clients.push(client);
      return client;
    };

    beforeEach(async () => {
      server = await upstream().start();
      world = await httpWorld(backend, { httpAllowPrivate: true });
      url = await listening(world.app);
      a = await orgWithKeys(world.vault, 'mcp-a');
      b = await orgWithKeys(world.vault, 'mcp-b');
      // The same module id in both orgs, with different actions and destinations.
      await world.vault.org(a.orgId).modules.install(
        httpModule(MOD, `${server.url()}/a`, {
          actions: {
            get_item: { method: 'GET', path: '/items/{id}', query: ['fields'] },
            create_item: { method: 'POST', path: '/items' },
            broken: { method: 'GET', path: '/broken' },
          },
        }),
      );
      await world.vault.org(a.orgId).credentials.store(MOD, { api_key: SECRET_A });
      await world.vault.org(b.orgId).modules.install(
        httpModule(MOD, `${server.url()}/b`, {
          actions: { search: { method: 'GET', path: '/search', query: ['q'] } },
        }),
      );
      await world.vault.org(b.orgId).credentials.store(MOD, { api_key: SECRET_B });
      await world.vault.org(a.orgId).modules.install(manifest('demo/echo'));
    });
    afterEach(async () => {
      for (const client of clients.splice(0)) await client.close();
      await world.close();
      await server.stop();
    });

    it("lists exactly the caller org's tools, with schemas from the manifest", async () => {
      const listA = await (await connect(a.keys.viewer)).listTools();
      const listB = await (await connect(b.keys.viewer)).listTools();
      expect(listA.tools.map((t) => t.name).sort()).toEqual([
        'crm__widgets__broken',
        'crm__widgets__create_item',
        'crm__widgets__get_item',
        'demo__echo__echo',
      ]);
      expect(listB.tools.map((t) => t.name)).toEqual(['crm__widgets__search']);
      const get = listA.tools.find((t) => t.name === 'crm__widgets__get_item');
      expect(get?.inputSchema).toMatchObject({
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: expect.any(Object), fields: expect.any(Object) },
      });
      expect(get?.description).toContain('GET /items/{id}');
      const create = listA.tools.find((t) => t.name === 'crm__widgets__create_item');
      expect(Object.keys(create?.inputSchema.properties ?? {})).toEqual(['body']);
    });

    it("injects each org's own credential upstream; no form of it, nor the orgvault key, comes back or goes out", async () => {
      const resA = await (await connect(a.keys.operator)).callTool({
        name: 'crm__widgets__get_item',
        arguments: { id: 42, fields: 'name' },
      });
      const resB = await (await connect(b.keys.operator)).callTool({
        name: 'crm__widgets__search',
        arguments: { q: 'x' },
      });
      expect(resA.isError).toBeFalsy();
      expect(resB.isError).toBeFalsy();
      expect(server.seen.map((s) => [s.path, s.headers['x-api-key']])).toEqual([
        ['/a/items/42', SECRET_A],
        ['/b/search', SECRET_B],
      ]);
      expect(resA.structuredContent).toMatchObject({
        status: 200,
        body: { path: '/a/items/42', query: { fields: 'name' } },
      });
      const first = resA.content as Array<{ type: string; text: string }>;
      expect(JSON.parse(first[0]?.text ?? 'null')).toEqual(resA.structuredContent);
      const answers = JSON.stringify([resA, resB]);
      for (const form of [...formsOf(SECRET_A), ...formsOf(SECRET_B)]) expect(answers).not.toContain(form);
      // The orgvault key authenticated the caller and went no further.
      const sent = JSON.stringify(server.seen);
      for (const key of [a.keys.operator, b.keys.operator]) {
        expect(sent).not.toContain(key);
        expect(sent).not.toContain(key.slice(0, 20));
      }
    });

    it("another org's tool, a nonexistent tool and a disabled module's tool get one and the same JSON-RPC error", async () => {
      const clientB = await connect(b.keys.owner);
      const otherOrgs = await rpcError(
        clientB.callTool({ name: 'crm__widgets__get_item', arguments: { id: 1 } }),
      );
      const missing = await rpcError(
        clientB.callTool({ name: 'crm__widgets__get_itex', arguments: { id: 1 } }),
      );
      await world.vault.org(b.orgId).modules.disable(MOD);
      expect((await clientB.listTools()).tools).toEqual([]);
      const disabled = await rpcError(
        clientB.callTool({ name: 'crm__widgets__search', arguments: { q: 'x' } }),
      );
      const shape = (e: { code: number; message: string }, name: string) => ({
        code: e.code,
        message: e.message.replace(name, '<name>'),
      });
      expect(otherOrgs.code).toBe(-32602);
      expect(shape(otherOrgs, 'crm__widgets__get_item')).toEqual(shape(missing, 'crm__widgets__get_itex'));
      expect(shape(disabled, 'crm__widgets__search')).toEqual(shape(missing, 'crm__widgets__get_itex'));
      expect(server.seen).toEqual([]);
    });

    it('a viewer lists the tools but its call is refused, audited and never reaches the upstream', async () => {
      const viewer = await connect(a.keys.viewer);
      expect((await viewer.listTools()).tools.length).toBe(4);
      const before = (await auditTrail(world.vault, a.orgId)).length;
      const refused = await rpcError(
        viewer.callTool({ name: 'crm__widgets__get_item', arguments: { id: 42 } }),
      );
      expect(refused.code).toBe(FORBIDDEN_ERROR);
      expect(refused.message).toContain('invoke_modules');
      expect(server.seen).toEqual([]);
      const trail = await auditTrail(world.vault, a.orgId);
      expect(trail.length).toBe(before + 1);
      expect(trail[0]).toMatchObject({
        action: 'denied',
        actorKeyId: a.keyIds.viewer,
        details: { route: '/v1/mcp', permission: 'invoke_modules' },
      });
    });

    it('tools/call is allowed exactly to the roles with invoke_modules; every role may list', async () => {
      for (const role of ROLES) {
        const client = await connect(a.keys[role]);
        expect((await client.listTools()).tools.length).toBe(4);
        const call = client.callTool({ name: 'demo__echo__echo', arguments: { role } });
        if (hasPermission(role, 'invoke_modules')) {
          expect((await call).structuredContent, role).toEqual({ input: { role }, credential_fields: [] });
        } else {
          expect((await rpcError(call)).code, role).toBe(FORBIDDEN_ERROR);
        }
      }
      expect(ROLES.filter((r) => !hasPermission(r, 'invoke_modules'))).toEqual(['viewer']);
    });

    it("a manifest's own input_schema is listed and enforced", async () => {
      const precise = {
        type: 'object',
        properties: { id: { type: 'integer', minimum: 1 }, fields: { enum: ['name', 'size'] } },
        required: ['id'],
        additionalProperties: false,
      };
      await world.vault.org(b.orgId).modules.install(
        httpModule(MOD, `${server.url()}/a`, {
          actions: {
            get_item: { method: 'GET', path: '/items/{id}', query: ['fields'], input_schema: precise },
          },
        }),
      );
      const client = await connect(b.keys.operator);
      expect((await client.listTools()).tools[0]?.inputSchema).toEqual(precise);
      const refused = await client.callTool({
        name: 'crm__widgets__get_item',
        arguments: { id: 42, fields: 'colour' },
      });
      expect(refused.isError).toBe(true);
      expect(server.seen).toEqual([]);
      const ok = await client.callTool({
        name: 'crm__widgets__get_item',
        arguments: { id: 42, fields: 'size' },
      });
      expect(ok.structuredContent).toMatchObject({ status: 200, body: { query: { fields: 'size' } } });
      expect(server.seen.map((s) => s.headers['x-api-key'])).toEqual([SECRET_B]);
    });

    it('MCP requests are counted under their route template in /metrics', async () => {
      await (await connect(a.keys.viewer)).listTools();
      const metrics = (await call(world.app, 'GET', '/metrics')).body;
      expect(metrics).toMatch(
        /orgvault_http_requests_total\{method="POST",route="\/v1\/mcp",status="200"\} [1-9]/,
      );
    });

    it('no key and a wrong key are refused with 401 at connect', async () => {
      for (const key of [undefined, wrongSecret(a.keys.owner)]) {
        const err = await mcpClient(url, key).then(
          () => null,
          (e: unknown) => e as { code?: number; message: string },
        );
        expect(err?.code).toBe(401);
      }
    });

    it('checks arguments against the input schema before anything leaves', async () => {
      const client = await connect(a.keys.operator);
      const missingPath = await client.callTool({
        name: 'crm__widgets__get_item',
        arguments: { fields: 'x' },
      });
      const unknownName = await client.callTool({
        name: 'crm__widgets__get_item',
        arguments: { id: 1, idd: 2 },
      });
      const wrongType = await client.callTool({
        name: 'crm__widgets__get_item',
        arguments: { id: { nested: 1 } },
      });
      for (const res of [missingPath, unknownName, wrongType]) {
        expect(res.isError).toBe(true);
        expect(res.structuredContent).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
      expect((missingPath.content as Array<{ text: string }>)[0]?.text).toContain("'id'");
      expect(server.seen).toEqual([]);
    });

    it('an upstream 500 is an isError result, scrubbed, counted and audited', async () => {
      const client = await connect(a.keys.operator);
      const res = await client.callTool({ name: 'crm__widgets__broken', arguments: {} });
      expect(res.isError).toBe(true);
      expect(res.structuredContent).toMatchObject({
        error: { code: 'MODULE_CALL_FAILED', details: { upstream_status: 500 } },
      });
      expect(server.seen.length).toBe(1);
      for (const form of formsOf(SECRET_A)) expect(JSON.stringify(res)).not.toContain(form);
      expect((await world.vault.org(a.orgId).modules.get(MOD))?.failureCount).toBe(1);
      const [event] = await auditTrail(world.vault, a.orgId);
      expect(event).toMatchObject({
        action: 'module.invoke',
        outcome: 'failure',
        details: { action: 'broken' },
      });
    });

    it('missing credentials and an open breaker are isError results, not protocol errors', async () => {
      await world.vault.org(a.orgId).credentials.delete(MOD);
      const client = await connect(a.keys.operator);
      const noCredentials = await client.callTool({ name: 'crm__widgets__get_item', arguments: { id: 42 } });
      expect(noCredentials.isError).toBe(true);
      expect(noCredentials.structuredContent).toMatchObject({ error: { code: 'MODULE_NOT_EXECUTABLE' } });
      await world.vault.org(a.orgId).credentials.store(MOD, { api_key: SECRET_A });
      const threshold = world.vault.config.breakerFailureThreshold;
      for (let i = 0; i < threshold; i++) {
        expect((await client.callTool({ name: 'crm__widgets__broken', arguments: {} })).isError).toBe(true);
      }
      const open = await client.callTool({ name: 'crm__widgets__get_item', arguments: { id: 42 } });
      expect(open.isError).toBe(true);
      expect(open.structuredContent).toMatchObject({
        error: { code: 'MODULE_UNHEALTHY', details: { retry_after_seconds: expect.any(Number) } },
      });
      expect(server.seen.length).toBe(threshold);
    });

    it('each call is one audit event; with _meta.conversation_id it is a tool result of that conversation', async () => {
      const client = await connect(a.keys.operator);
      const before = (await auditTrail(world.vault, a.orgId)).length;
      const plain = await client.callTool({ name: 'demo__echo__echo', arguments: { hello: 'world' } });
      expect(plain.structuredContent).toEqual({ input: { hello: 'world' }, credential_fields: [] });
      const inConversation = await client.callTool({
        name: 'crm__widgets__create_item',
        arguments: { body: { title: 't' } },
        _meta: { conversation_id: 'mcp-conv-1' },
      });
      expect(inConversation.structuredContent).toMatchObject({ status: 201, body: { body: { title: 't' } } });
      const trail = await auditTrail(world.vault, a.orgId);
      expect(trail.length).toBe(before + 2);
      expect(trail[0]).toMatchObject({
        action: 'module.invoke',
        outcome: 'success',
        actorKeyId: a.keyIds.operator,
        details: { action: 'create_item', conversation_id: 'mcp-conv-1' },
      });
      expect(trail[1]).toMatchObject({
        action: 'module.invoke',
        details: { action: 'echo', conversation_id: null },
      });
      const state = await world.vault.org(a.orgId).conversations.get('mcp-conv-1');
      expect(state?.toolResults.map((t) => [t.moduleId, t.action, t.ok])).toEqual([
        [MOD, 'create_item', true],
      ]);
      expect(await world.vault.org(b.orgId).conversations.get('mcp-conv-1')).toBeNull();
    });

    it('malformed JSON-RPC gets protocol errors, never a 5xx', async () => {
      const key = a.keys.operator;
      const rpc = (body: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, ...(body as object) });
      const badMethod = await post(url, key, rpc({ method: 'tools/explode', params: {} }));
      expect(badMethod.status).toBe(200);
      expect((await badMethod.json()).error.code).toBe(-32601);
      const badParams = await post(url, key, rpc({ method: 'tools/call', params: { arguments: 'nope' } }));
      expect(badParams.status).toBe(200);
      expect((await badParams.json()).error.code).toBe(-32602);
      const notJson = await post(url, key, '{"jsonrpc": "2.0", ');
      expect(notJson.status).toBe(400);
      expect((await notJson.json()).error.code).toBe(-32700);
      const notRpc = await post(url, key, JSON.stringify({ hello: 'world' }));
      expect(notRpc.status).toBe(400);
      expect((await notRpc.json()).error.code).toBe(-32700);
      const batch = Array.from({ length: MAX_MCP_BATCH + 1 }, (_, i) => ({
        jsonrpc: '2.0',
        id: i,
        method: 'tools/list',
      }));
      const batchAbuse = await post(url, key, JSON.stringify(batch));
      expect(batchAbuse.status).toBe(400);
      expect((await batchAbuse.json()).error.code).toBe(-32600);
      const smallBatch = await post(url, key, JSON.stringify(batch.slice(0, 2)));
      expect(smallBatch.status).toBe(200);
      expect(((await smallBatch.json()) as Array<{ id: number }>).map((m) => m.id).sort()).toEqual([0, 1]);
      const deep = await post(url, key, `${'['.repeat(200)}${']'.repeat(200)}`);
      expect(deep.status).toBe(400);
      expect((await deep.json()).error.code).toBe(-32600);
      const oversized = await post(
        url,
        key,
        rpc({ method: 'tools/list', params: { pad: 'x'.repeat(200_000) } }),
      );
      expect(oversized.status).toBe(413);
      const noAccept = await post(url, key, rpc({ method: 'tools/list' }), { accept: 'application/json' });
      expect(noAccept.status).toBe(406);
      expect(server.seen).toEqual([]);
    });

    it('GET and DELETE are 405 for a stateless server, after authentication', async () => {
      for (const method of ['GET', 'DELETE']) {
        const anonymous = await fetch(url, { method });
        expect(anonymous.status).toBe(401);
        const res = await fetch(url, { method, headers: { 'x-api-key': a.keys.viewer } });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect((await res.json()).error.code).toBe(-32000);
      }
    });
  });
}
