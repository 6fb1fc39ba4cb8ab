import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  type CallToolRequest,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { z } from 'zod';
import { isVaultError } from '../errors.js';
import type { OrgVault } from '../vault.js';
import type { ArgumentCheck } from './argument-check.js';
import { candidateModuleIds, type ModuleTool, toolCatalogue } from './tool-catalogue.js';

/** JSON-RPC error of a caller whose role may list tools but not call them (no standard code exists). */
export const FORBIDDEN_ERROR = -32003;

export interface McpServerDeps {
  /** The caller's org, opened for the caller (orgOf on HTTP, the local CLI's handle on stdio). */
  org: OrgVault;
  argumentCheck: ArgumentCheck;
  version: string;
  /**
   * Whether the caller may call tools (invoke_modules); a refusal is the caller's to record (the
   * HTTP route audits it like any other 403). Listing needs only what the transport already checked.
   */
  mayCall: () => Promise<boolean>;
  /** Where an unexpected error (a bug, a database down) is reported; the client sees a bare -32603. */
  onInternalError: (err: unknown) => void;
  /**
   * The SDK's JSON Schema validator, shared by the servers of one route (see sharedSchemaValidator).
   * Without it each Server builds its own Ajv instance, most of the cost of a stateless MCP request.
   */
  schemaValidator?: jsonSchemaValidator;
}

/**
 * A validator for every server a caller creates: an SDK Server otherwise constructs a new Ajv
 * (keywords, rules, formats) in its constructor, once per request on the stateless HTTP route.
 * It holds no request or org state (compiled schemas only; orgvault never sends elicitations).
 */
export function sharedSchemaValidator(): jsonSchemaValidator {
  return new AjvJsonSchemaValidator();
}

/**
 * What reaches a handler: the method only. The SDK checks params against these schemas before the
 * handler runs and answers a mismatch -32603 (an internal error); parsed in the handler instead,
 * a bad params object is what it is, -32602.
 */
const anyParams = <M extends string>(method: M) =>
  z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
// Built once: a zod schema is compiled on first use, which per request (a server each) showed.
const LIST_TOOLS = anyParams('tools/list');
const CALL_TOOL = anyParams('tools/call');

function paramsOf<T extends z.ZodType>(schema: T, request: unknown): z.infer<T> {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'params';
    throw new McpError(ErrorCode.InvalidParams, `Invalid params: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function failed(code: string, message: string, details?: Record<string, unknown>): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    structuredContent: { error: { code, message, ...(details ? { details } : {}) } },
  };
}

/**
 * The MCP server of one org: tools/list and tools/call over whichever transport connects it. The
 * SDK's low-level Server, not McpServer: the tool set is per org and read per request, and an
 * unknown tool must be a JSON-RPC error (McpServer 1.32.2 turns it into an isError result). Every
 * unknown name (never existed, another org's, a disabled module's) gets the same error, built
 * from the name alone.
 */
export function createMcpServer(deps: McpServerDeps): Server {
  const { org } = deps;
  const server = new Server(
    { name: 'orgvault', version: deps.version },
    {
      // listChanged: false: a stateless server holds no stream to send notifications on.
      capabilities: { tools: { listChanged: false } },
      instructions: `Tools of the orgvault org "${org.orgId}": credentials are injected server-side and never returned.`,
      ...(deps.schemaValidator ? { jsonSchemaValidator: deps.schemaValidator } : {}),
    },
  );
  const internal = (err: unknown): never => {
    if (err instanceof McpError) throw err;
    deps.onInternalError(err);
    throw new McpError(ErrorCode.InternalError, 'internal error');
  };

  server.setRequestHandler(LIST_TOOLS, async (raw) => {
    paramsOf(ListToolsRequestSchema, raw);
    const catalogue = toolCatalogue(await org.conversations.executables().catch(internal));
    return {
      tools: [...catalogue.values()].map(({ name, description, inputSchema }) => ({
        name,
        description,
        inputSchema,
      })),
    };
  });

  /**
   * The tool of the org named `name`, as the org's catalogue has it: the rows of the modules the
   * name could belong to (usually one), and the whole catalogue only when two of them could both
   * claim it (its listing order decides). A name no row of this org claims is unknown.
   */
  const findTool = async (name: string): Promise<ModuleTool | undefined> => {
    const found: ModuleTool[] = [];
    for (const moduleId of candidateModuleIds(name)) {
      const module = await org.conversations.executable(moduleId);
      const tool = module === null ? undefined : toolCatalogue([module]).get(name);
      if (tool !== undefined) found.push(tool);
    }
    if (found.length <= 1) return found[0];
    return toolCatalogue(await org.conversations.executables()).get(name);
  };

  server.setRequestHandler(CALL_TOOL, async (raw) => {
    // The SDK's Server checked the request against CallToolRequestSchema before calling this
    // handler (a mismatch is its -32602): parsing it again here would only cost.
    const { name, arguments: args = {}, _meta } = (raw as CallToolRequest).params;
    if (!(await deps.mayCall().catch(internal))) {
      throw new McpError(FORBIDDEN_ERROR, 'this API key may list tools but not call them (invoke_modules)');
    }
    const tool = await findTool(name).catch(internal);
    if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const problem = deps.argumentCheck.problem(tool.inputSchema, args);
    if (problem !== null) return failed('VALIDATION_FAILED', `invalid arguments for ${name}: ${problem}`);

    const conversationId = _meta?.conversation_id;
    if (conversationId !== undefined && typeof conversationId !== 'string') {
      return failed('VALIDATION_FAILED', '_meta.conversation_id must be a string');
    }
    const call = { moduleId: tool.moduleId, action: tool.action, input: args };
    try {
      const result =
        conversationId === undefined
          ? await org.conversations.call(call)
          : (await org.conversations.invoke(conversationId, call)).result;
      return {
        content: [{ type: 'text', text: JSON.stringify(result) ?? 'null' }],
        // structuredContent must be an object; a bare value travels wrapped.
        structuredContent: isObject(result) ? result : { result },
      };
    } catch (err) {
      // The runtime scrubbed these of every credential value before they were thrown.
      if (isVaultError(err)) return failed(err.code, err.message, err.details);
      return internal(err);
    }
  });
  return server;
}
