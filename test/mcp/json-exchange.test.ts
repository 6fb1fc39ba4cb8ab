import { WebStandardStreamableHTTPServerTransport as WebTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { describe, expect, it } from 'vitest';
import type { ExecutableModule } from '../../src/agent/conversation-service.js';
import { ArgumentCheck } from '../../src/mcp/argument-check.js';
import { type ExchangeHeaders, JsonExchange } from '../../src/mcp/json-exchange.js';
import { createMcpServer, sharedSchemaValidator } from '../../src/mcp/mcp-server.js';
import type { OrgVault } from '../../src/vault.js';

/**
 * The route's JsonExchange answers a POST exactly as the SDK's web-standard transport (stateless,
 * JSON responses) answered it before: the same status and the same body, message for message.
 */
describe('JsonExchange against the SDK transport it replaces', () => {
  const echo: ExecutableModule = {
    moduleId: 'demo/echo',
    manifest: { name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' },
    executable: { kind: 'builtin', module: { actions: { echo: () => ({}) } } },
  } as unknown as ExecutableModule;
  const org = {
    orgId: 'acme',
    conversations: {
      executables: async () => [echo],
      executable: async (moduleId: string) => (moduleId === 'demo/echo' ? echo : null),
      call: async (call: { input: unknown }) => ({ input: call.input }),
      invoke: async (_id: string, call: { input: unknown }) => ({ result: { input: call.input } }),
    },
  } as unknown as OrgVault;
  const argumentCheck = new ArgumentCheck();
  const schemaValidator = sharedSchemaValidator();
  const serverFor = () =>
    createMcpServer({
      org,
      argumentCheck,
      schemaValidator,
      version: '1.0.0',
      mayCall: async () => true,
      onInternalError: (err) => {
        throw err;
      },
    });

  async function viaSdk(headers: Record<string, string>, body: unknown) {
    const server = serverFor();
    const transport = new WebTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    const answer = await transport.handleRequest(
      new Request('http://localhost/v1/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      }),
      { parsedBody: body },
    );
    const text = await answer.text();
    await server.close();
    return { status: answer.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async function viaExchange(headers: Record<string, string>, body: unknown) {
    const server = serverFor();
    const exchange = new JsonExchange();
    await server.connect(exchange);
    const answer = await exchange.handle(headers as ExchangeHeaders, body);
    await server.close();
    return { status: answer.status, body: answer.body === undefined ? undefined : JSON.parse(answer.body) };
  }

  const accept = { accept: 'application/json, text/event-stream' };
  const call = (id: number, name = 'demo__echo__echo') => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: { hello: 'world' }, _meta: { conversation_id: 'c1' } },
  });
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  };
  const cases: [string, Record<string, string>, unknown][] = [
    ['a tools/call', accept, call(1)],
    ['a tools/list', accept, { jsonrpc: '2.0', id: 'x', method: 'tools/list' }],
    ['an unknown tool', accept, call(2, 'other__org__tool')],
    ['an unknown method', accept, { jsonrpc: '2.0', id: 3, method: 'nope' }],
    ['bad params', accept, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 5 } }],
    ['initialize', accept, initialize],
    ['a batch of two calls', accept, [call(5), call(6)]],
    [
      'a batch with a notification',
      accept,
      [call(7), { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ],
    ['a notification alone (202)', accept, { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ['initialize in a batch', accept, [initialize, call(8)]],
    [
      'a notification with a null id',
      accept,
      { jsonrpc: '2.0', method: 'notifications/initialized', id: null },
    ],
    ['a request with a null id', accept, { jsonrpc: '2.0', method: 'tools/list', id: null }],
    ['a client response', accept, { jsonrpc: '2.0', id: 1, result: {} }],
    ['not JSON-RPC', accept, { hello: 'world' }],
    ['a batch with one bad message', accept, [call(9), { jsonrpc: '1.0' }]],
    ['no accept', {}, call(10)],
    ['accept without event-stream', { accept: 'application/json' }, call(11)],
    ['a supported protocol version', { ...accept, 'mcp-protocol-version': '2025-06-18' }, call(12)],
    ['an unsupported protocol version', { ...accept, 'mcp-protocol-version': '1999-01-01' }, call(13)],
  ];
  for (const [name, headers, body] of cases) {
    it(name, async () => {
      const expected = await viaSdk(headers, body);
      // Not a vacuous comparison: the call really ran through the server's handler.
      if (name === 'a tools/call') {
        expect(expected.body.result.structuredContent).toEqual({ input: { hello: 'world' } });
      }
      expect(await viaExchange(headers, body)).toEqual(expected);
    });
  }
});
