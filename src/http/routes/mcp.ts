import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission } from '../../auth/permissions.js';
import { ArgumentCheck } from '../../mcp/argument-check.js';
import { JsonExchange } from '../../mcp/json-exchange.js';
import { createMcpServer, sharedSchemaValidator } from '../../mcp/mcp-server.js';
import { VERSION } from '../../version.js';
import { recordDenied } from '../auth-hook.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../json-depth.js';
import { errorResponses, json } from '../responses.js';
import { callerOf, orgOf } from '../route-config.js';
import type { RouteDeps } from './deps.js';

/**
 * Messages in one JSON-RPC batch. The SDK allows 100; each would run a module call under one rate
 * limit charge, so a batch is held to a few (MCP 2025-06-18 dropped batching; its clients send none).
 */
export const MAX_MCP_BATCH = 10;

const jsonRpcError = (reply: FastifyReply, status: number, code: number, message: string) =>
  reply
    .code(status)
    .header('content-type', 'application/json')
    .send(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));

/** The JSON-RPC envelope, for the OpenAPI document only: the transport writes the answers itself. */
const jsonRpcMessage = {
  description: 'A JSON-RPC 2.0 message (or a batch of them)',
  type: 'object',
  additionalProperties: true,
} as const;
const jsonRpc = (description: string) => json(jsonRpcMessage, description);

const MCP_DESCRIPTION =
  'MCP Streamable HTTP (stateless, JSON responses). tools/list needs read_config; tools/call needs invoke_modules. ' +
  'Tools are the actions of the enabled executable modules of the caller org, named <category>__<platform>__<action>. ' +
  'GET and DELETE /v1/mcp answer 405: the server is stateless, with no stream or session.';

/**
 * POST /v1/mcp: the MCP server of the caller's org, over the SDK's Streamable HTTP transport in
 * stateless mode (a server and a transport per request; nothing is kept between requests). The
 * route needs read_config, what tools/list needs; tools/call checks invoke_modules itself, so a
 * viewer lists but cannot call. The API key authenticates the caller here and goes no further:
 * upstream requests carry only the module's own credential.
 *
 * Registered in a context of its own so the body reaches the route as text: a body that is not
 * JSON is a JSON-RPC parse error (-32700), as MCP clients expect, not a problem document.
 */
export function mcpRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  const argumentCheck = new ArgumentCheck();
  const schemaValidator = sharedSchemaValidator();
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );

    scope.post(
      '/v1/mcp',
      {
        config: { permission: 'read_config' },
        schema: {
          operationId: 'postMcp',
          tags: ['mcp'],
          summary: 'MCP server of the caller org (Streamable HTTP, stateless)',
          description: MCP_DESCRIPTION,
          // No type here: the body reaches the route as text (see above) and is parsed by it.
          body: { description: 'A JSON-RPC 2.0 request or notification (application/json)' },
          response: {
            200: jsonRpc('The JSON-RPC response'),
            202: { description: 'A notification or response was accepted', type: 'null' },
            400: jsonRpc('Not JSON, not JSON-RPC, or a batch too large'),
            406: jsonRpc('Accept must list application/json and text/event-stream'),
            ...errorResponses,
          },
        },
      },
      async (request: FastifyRequest<{ Body: string | undefined }>, reply) => {
        const text = request.body ?? '';
        if (jsonDepthExceeds(text)) {
          return jsonRpcError(
            reply,
            400,
            -32600,
            `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
          );
        }
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          return jsonRpcError(reply, 400, -32700, 'Parse error: Invalid JSON');
        }
        if (Array.isArray(message) && message.length > MAX_MCP_BATCH) {
          return jsonRpcError(
            reply,
            400,
            -32600,
            `Invalid Request: a batch holds at most ${MAX_MCP_BATCH} messages`,
          );
        }
        const { role } = callerOf(request);
        const server = createMcpServer({
          org: orgOf(vault, request),
          argumentCheck,
          schemaValidator,
          version: VERSION,
          mayCall: async () => {
            if (hasPermission(role, 'invoke_modules')) return true;
            await recordDenied(vault, request, 'invoke_modules', 'MCP_TOOLS_CALL');
            return false;
          },
          onInternalError: (err) => request.log.error({ err }, 'MCP request failed'),
        });
        // The exchange does what the SDK's web-standard transport does for this POST, without a web
        // Request, Response and stream a call (see json-exchange.ts); the server is the SDK's.
        const exchange = new JsonExchange();
        try {
          await server.connect(exchange);
          const answer = await exchange.handle(request.headers, message);
          // Not closed: every request in the body has been answered, so no handler runs on, and
          // the server and its exchange hold no timer or outside listener (they are garbage now).
          // Closing would abort each finished handler's controller and build an McpError ("connection
          // closed") for nothing: a tenth of the SDK's cost a call.
          reply.code(answer.status);
          if (answer.body === undefined) return reply.send();
          return reply.header('content-type', 'application/json').send(answer.body);
        } catch (err) {
          void server.close();
          request.log.error({ err }, 'MCP transport failed');
          return jsonRpcError(reply, 500, -32603, 'internal error');
        }
      },
    );

    // A stateless server has no stream to offer (GET) and no session to end (DELETE): 405, as the
    // Streamable HTTP transport specifies, after the same authentication as POST.
    for (const method of ['GET', 'DELETE'] as const) {
      scope.route({
        method,
        url: '/v1/mcp',
        config: { permission: 'read_config' },
        schema: {
          // Left out of the document: an operation that can only refuse is not one a client calls
          // (POST /v1/mcp's description says that GET and DELETE answer 405).
          hide: true,
          summary: `MCP ${method}: 405, the server is stateless`,
          response: { 405: jsonRpc('Method not allowed'), ...errorResponses },
        },
        handler: async (_request, reply) =>
          jsonRpcError(
            reply.header('allow', 'POST'),
            405,
            -32000,
            'Method not allowed: this MCP server is stateless',
          ),
      });
    }
  });
}
