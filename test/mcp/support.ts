import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FastifyInstance } from 'fastify';

/** Listens on 127.0.0.1, a free port; the MCP endpoint's URL. */
export async function listening(app: FastifyInstance): Promise<URL> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return new URL(`http://127.0.0.1:${port}/v1/mcp`);
}

/** The SDK's own client over Streamable HTTP, presenting `key` as X-API-Key (none: no header). */
export async function mcpClient(url: URL, key?: string): Promise<Client> {
  const client = new Client({ name: 'orgvault-test', version: '1.0.0' });
  const headers: Record<string, string> = key === undefined ? {} : { 'x-api-key': key };
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

/** A call expected to be refused with a JSON-RPC error: the error, or a test failure. */
export async function rpcError(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'number' && typeof e.message === 'string')
      return { code: e.code, message: e.message };
    throw err;
  }
  throw new Error('expected a JSON-RPC error');
}

/** One JSON-RPC POST by hand (for what the SDK client would never send). */
export function post(
  url: URL,
  key: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'x-api-key': key,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}
