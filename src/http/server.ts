import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { openVault, type Vault } from '../vault.js';
import { buildApp } from './app.js';
import { createLogger, logFormatFor } from './logger.js';
import type { RequestLimiter } from './rate-limiter.js';

export interface RunningServer {
  app: FastifyInstance;
  vault: Vault;
  /** Where it listens, e.g. http://127.0.0.1:8003 */
  address: string;
  /** Stops accepting, lets in-flight requests finish, then closes the database. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the server has shut down (by close() or a signal). */
  closed: Promise<void>;
}

export interface StartServerOptions {
  config: Config;
  limiter?: RequestLimiter;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (the CLI does; tests do not). */
  handleSignals?: boolean;
}

/** Opens the vault, builds the app and listens on config.host:config.port. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options;
  // One logger for requests and for the agent runtime's invocation lines (ids and codes only).
  const logger = createLogger(config.logLevel, undefined, { format: logFormatFor(config.logFormat) });
  const vault = await openVault({ config, agentLogger: logger });
  let app: FastifyInstance;
  try {
    app = await buildApp({ vault, config, logger, ...(options.limiter ? { limiter: options.limiter } : {}) });
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await vault.close();
    throw err;
  }
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        // Fastify stops accepting, closes idle keep-alive sockets and waits for in-flight requests.
        await app.close();
        await options.limiter?.close?.();
      } finally {
        await vault.close();
        resolveClosed();
      }
    })();
    return closing;
  };
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      app.log.info({ signal }, 'shutting down');
      void close();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    void closed.then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  const addr = app.server.address();
  const address =
    addr !== null && typeof addr === 'object'
      ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
      : String(addr);
  return { app, vault, address, close, closed };
}
