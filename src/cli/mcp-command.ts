import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { ArgumentCheck } from '../mcp/argument-check.js';
import { createMcpServer } from '../mcp/mcp-server.js';
import { VERSION } from '../version.js';
import { describeError, withVault } from './context.js';

/**
 * `orgvault mcp --org X`: the org's tools over stdio, for a desktop MCP client that starts it. The
 * local CLI holds every power of the org it opens (like the other commands), so tools/call needs no
 * key. stdout is the protocol's: every diagnostic goes to stderr. Ends when the client closes stdin
 * or on SIGTERM/SIGINT.
 */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description("serve the org's enabled modules as MCP tools over stdio (for local MCP clients)")
    .requiredOption('--org <org_id>', 'organization id (use "default" for the single-tenant org)')
    .action(async (opts: { org: string }) => {
      await withVault(async (vault) => {
        const org = vault.org(opts.org);
        // An unknown org is a one-line error now, not a failure on the client's first request.
        await org.conversations.executables();
        const server = createMcpServer({
          org,
          argumentCheck: new ArgumentCheck(),
          version: VERSION,
          mayCall: async () => true,
          onInternalError: (err) => process.stderr.write(`orgvault mcp: ${describeError(err)}\n`),
        });
        const closed = new Promise<void>((resolve) => {
          server.onclose = resolve;
        });
        const stop = () => void server.close();
        process.stdin.once('end', stop);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        await server.connect(new StdioServerTransport());
        process.stderr.write(`orgvault mcp: serving org "${org.orgId}" over stdio\n`);
        await closed;
      });
    });
}
