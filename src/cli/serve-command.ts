import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startServer } from '../http/server.js';
import { CliError } from './context.js';

/** `orgvault serve`: runs the HTTP API until SIGTERM/SIGINT, then shuts down gracefully. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (default 127.0.0.1:8003)')
    .option('--host <host>', 'address to listen on (ORGVAULT_HOST)')
    .option('--port <port>', 'port to listen on (ORGVAULT_PORT)')
    .action(async (opts: { host?: string; port?: string }) => {
      let port: number | undefined;
      if (opts.port !== undefined) {
        port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new CliError('--port must be 0 to 65535');
      }
      const config = loadConfig({
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(port !== undefined ? { port } : {}),
      });
      const server = await startServer({ config, handleSignals: true });
      server.app.log.info({ address: server.address }, 'orgvault listening');
      await server.closed;
    });
}
