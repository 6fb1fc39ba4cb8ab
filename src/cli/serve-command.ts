import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startServer } from '../http/server.js';
import { createRequestLimiter } from '../ratelimit/create-limiter.js';
import { integerIn } from './arguments.js';

/** `orgvault serve`: runs the HTTP API until SIGTERM/SIGINT, then shuts down gracefully. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (default 127.0.0.1:8003)')
    .option('--host <host>', 'address to listen on (ORGVAULT_HOST)')
    .option('--port <port>', 'port to listen on (ORGVAULT_PORT)', integerIn(0, 65535))
    .action(async (opts: { host?: string; port?: number }) => {
      const port = opts.port;
      const config = loadConfig({
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(port !== undefined ? { port } : {}),
      });
      // Rate limits: Redis counters when ORGVAULT_REDIS_URL is set (several nodes), memory otherwise.
      let storeErrorLogged = 0;
      const limiter = await createRequestLimiter(config, (err) => {
        // At most one line per 10 s while Redis is down; never the URL (it may hold a password).
        if (Date.now() - storeErrorLogged < 10_000) return;
        storeErrorLogged = Date.now();
        process.stderr.write(
          `orgvault: rate-limit store error, requests are not limited meanwhile: ${String((err as Error)?.message ?? err)}\n`,
        );
      });
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ config, limiter, handleSignals: true });
      } catch (err) {
        await limiter.close?.();
        throw err;
      }
      server.app.log.info({ address: server.address }, 'orgvault listening');
      await server.closed;
    });
}
