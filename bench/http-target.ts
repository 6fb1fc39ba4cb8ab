/**
 * A server for `npm run bench:http`, run in a child process of its own so the load generator never
 * shares an event loop with it. Two modes:
 *   orgvault <databaseUrl> <dataDir> <masterKey>   the real API (auth hook, database, serializer)
 *   bare <bodyFile>                                 a bare Fastify route answering the same bytes
 * Prints one line {"port": N} once listening; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { openVault } from '../src/vault.js';

const [mode, ...args] = process.argv.slice(2);

async function main(): Promise<void> {
  if (mode === 'bare') {
    const body = readFileSync(args[0] ?? '');
    const app = Fastify({ logger: false });
    app.get('/v1/modules', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
    await app.listen({ host: '127.0.0.1', port: 0 });
    announce(app.server.address());
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
    return;
  }
  if (mode === 'orgvault') {
    const [databaseUrl, dataDir, masterKey] = args as [string, string, string];
    const vault = await openVault({ databaseUrl, dataDir, masterKey, warn: () => {} });
    // Request logging off, as for the bare route: the bench measures the API, not log I/O.
    const app = await buildApp({ vault, logger: pino({ level: 'warn' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    announce(app.server.address());
    process.once('SIGTERM', () => void app.close().then(() => vault.close().then(() => process.exit(0))));
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

function announce(addr: ReturnType<import('node:net').Server['address']>): void {
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

await main();
