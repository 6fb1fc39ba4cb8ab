import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type JSONRPCRequest,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';

/** What one exchange answers: an HTTP status and, unless 202, a JSON body. */
export interface ExchangeAnswer {
  status: number;
  /** JSON text (application/json); undefined for 202 Accepted. */
  body: string | undefined;
}

/** The request headers the exchange reads (lower-case names, as Node gives them). */
export interface ExchangeHeaders {
  accept?: string | string[] | undefined;
  'mcp-protocol-version'?: string | string[] | undefined;
}

const errorAnswer = (status: number, code: number, message: string): ExchangeAnswer => ({
  status,
  body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
});

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

/** A JSON-RPC response (to a request of the client), as the server sends it. */
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } =>
  'id' in m && ('result' in m || 'error' in m);

/**
 * One POST of MCP's Streamable HTTP transport, stateless, in JSON-response mode: the SDK's Server
 * connects to it as to any transport, and the answer is one JSON document. It does what the SDK's
 * web-standard transport does for such a POST (its checks, their order, statuses, codes and
 * messages; see `handlePostRequest` in @modelcontextprotocol/sdk 1.32.2), without building a web
 * Request, Headers, a Response and its stream for every call, which cost about as much as
 * the module call of a `tools/call` itself.
 *
 * What the route has done before: the body parsed (-32700), nested depth and batch size bounded
 * (-32600), and Content-Type is application/json (Fastify routes no other type here). With no
 * session and no event store there is nothing else: no session checks, no SSE stream. Messages the
 * server sends outside a response (notifications) have no stream to go on and are dropped, as
 * the SDK's transport drops them in this mode. Request info (headers, URL) is not handed to the
 * handlers: none reads it, and so no header can reach one.
 */
export class JsonExchange implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The requests' ids, in order, with their responses once sent. */
  private readonly awaited = new Map<RequestId, JSONRPCMessage | null>();
  private answered = 0;
  private finish: ((answer: ExchangeAnswer) => void) | null = null;
  private closed = false;

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!isResponse(message) || !this.awaited.has(message.id)) return;
    if (this.awaited.get(message.id) === null) this.answered += 1;
    this.awaited.set(message.id, message);
    if (this.answered < this.awaited.size || this.finish === null) return;
    const responses = [...this.awaited.values()];
    const finish = this.finish;
    this.finish = null;
    finish({
      status: 200,
      body: JSON.stringify(responses.length === 1 ? responses[0] : responses),
    });
  }

  /**
   * Handles the POST whose parsed body is `raw`: resolves once every request in it was answered
   * (after the server's handlers ran), or at once for a refusal or a body with no request (202).
   */
  handle(headers: ExchangeHeaders, raw: unknown): Promise<ExchangeAnswer> {
    // Accept is a comma-separated list: a substring check is what the SDK does too.
    const accept = headerText(headers.accept);
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return Promise.resolve(
        errorAnswer(
          406,
          -32000,
          'Not Acceptable: Client must accept both application/json and text/event-stream',
        ),
      );
    }
    let messages: JSONRPCMessage[];
    try {
      messages = (Array.isArray(raw) ? raw : [raw]).map((m) => JSONRPCMessageSchema.parse(m));
    } catch {
      return Promise.resolve(errorAnswer(400, -32700, 'Parse error: Invalid JSON-RPC message'));
    }
    // The method is compared first: a full schema check that fails builds its issues, per request.
    if (messages.some((m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m))) {
      if (messages.length > 1) {
        return Promise.resolve(
          errorAnswer(400, -32600, 'Invalid Request: Only one initialization request is allowed'),
        );
      }
    } else {
      const version = headerText(headers['mcp-protocol-version']);
      if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
        const message = `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`;
        return Promise.resolve(errorAnswer(400, -32000, message));
      }
    }
    // Each message passed JSONRPCMessageSchema: a request is the one kind with both a method and
    // an id (a notification has no id, a response no method). No second schema check needed.
    const requests = messages.filter((m): m is JSONRPCRequest => 'method' in m && 'id' in m);
    if (requests.length === 0) {
      for (const m of messages) this.onmessage?.(m);
      return Promise.resolve({ status: 202, body: undefined });
    }
    return new Promise<ExchangeAnswer>((resolve) => {
      this.finish = resolve;
      for (const r of requests) this.awaited.set(r.id, null);
      for (const m of messages) this.onmessage?.(m);
    });
  }
}
