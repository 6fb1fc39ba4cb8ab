/**
 * A server for `npm run bench:http`, run in a child process of its own so the load generator never
 * shares an event loop with it. Two modes:
 *   serve <databaseUrl> <dataDir> <masterKey>   `orgvault serve` as the CLI starts it: config from the
 *                                               environment (its defaults), the rate limiter, request
 *                                               logs on stdout (which the bench points at a file)
 *   bare <dir>                                  bare Fastify routes answering the same bytes
 * Tells the parent {port} over IPC once listening. Both modes answer {cpu: true} with {cpu: µs}, the
 * process's CPU time so far (user + system), so the parent can charge each round's requests with the
 * server's own CPU, whatever pace the load generator keeps. In serve mode it also answers
 * {lib: name, ms} with {lib: name, ops, cpu_us} (library calls in this same process, one at a time,
 * for the cost model; cpu_us is the CPU time per call). Stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/http/server.js';
import { createRequestLimiter } from '../src/ratelimit/create-limiter.js';

const [mode, ...args] = process.argv.slice(2);

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
process.on('message', (msg: { cpu?: boolean }) => {
  if (msg.cpu === true) process.send?.({ cpu: cpuNow() });
});

/** The library operation behind each measured route, in the org the bench set up. */
type LibOp = 'module.get' | 'credentials.store' | 'conversation.invoke' | 'modules.list';

async function main(): Promise<void> {
  if (mode === 'bare') {
    const dir = args[0] ?? '';
    const bytes = (name: string) => readFileSync(join(dir, name));
    const list = bytes('list.json');
    const module = bytes('module.json');
    const invoke = bytes('invoke.json');
    const app = Fastify({ logger: false });
    const json = 'application/json; charset=utf-8';
    app.get('/v1/modules', async (_req, reply) => reply.type(json).send(list));
    app.get('/v1/modules/:category/:platform', async (_req, reply) => reply.type(json).send(module));
    // The body is parsed as JSON, as orgvault parses it, then answered with what orgvault answers.
    app.put('/v1/modules/:category/:platform/credentials', async (_req, reply) => reply.code(204).send());
    app.post('/v1/conversations/:id/invoke', async (_req, reply) => reply.type(json).send(invoke));
    await app.listen({ host: '127.0.0.1', port: 0 });
    announce(app.server.address());
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
    return;
  }
  if (mode === 'serve') {
    const [databaseUrl, dataDir, masterKey] = args as [string, string, string];
    const config = loadConfig({ databaseUrl, dataDir, masterKey, host: '127.0.0.1', port: 0 });
    const limiter = await createRequestLimiter(config);
    const server = await startServer({ config, limiter });
    announce(server.app.server.address());
    const libOps: Record<LibOp, () => Promise<unknown>> = {
      'modules.list': () => server.vault.org('bench').modules.list(),
      'module.get': () => server.vault.org('bench').modules.get('weather/platform-00'),
      'credentials.store': () =>
        server.vault.org('bench').credentials.store('weather/platform-00', { api_key: 'bench-credential' }),
      'conversation.invoke': () =>
        server.vault.org('bench-mcp').conversations.invoke('bench-lib', {
          moduleId: 'demo/echo',
          action: 'echo',
          input: { hello: 'world' },
        }),
    };
    process.on('message', (msg: { lib?: LibOp; ms: number }) => {
      if (msg.lib === undefined) return;
      const lib = msg.lib;
      void (async () => {
        const op = libOps[lib];
        const end = performance.now() + msg.ms;
        let ops = 0;
        const start = performance.now();
        const cpuStart = cpuNow();
        while (performance.now() < end) {
          await op();
          ops++;
        }
        const cpu_us = (cpuNow() - cpuStart) / ops;
        process.send?.({ lib, ops: ops / ((performance.now() - start) / 1000), cpu_us });
      })().catch((err) => {
        // A failed library call ends the bench (the parent sees the exit) instead of hanging it.
        process.stderr.write(`bench library op ${lib} failed: ${String(err)}\n`);
        process.exit(1);
      });
    });
    process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

function announce(addr: ReturnType<import('node:net').Server['address']>): void {
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  process.send?.({ port });
}

await main();
