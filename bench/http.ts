/**
 * `npm run bench:http [-- --duration S] [-- --rounds N] [-- --connections N] [-- --json] [-- --profile DIR]`
 *
 * `orgvault serve` at its default settings (request logs at info, one line a request, written to a
 * file as a deployment would; the in-memory rate limiter on; only ORGVAULT_RATE_LIMIT_PER_MINUTE is
 * raised so the one bench key is never refused, the limiter still counting every request) against
 * bare Fastify routes in a separate process answering the same bytes with no auth and no database.
 * autocannon drives both from this process, on loopback, in alternating rounds (default 3 x 5 s after
 * a 2 s warm-up); each figure is the median of the rounds.
 *
 * Rows: authenticated `GET /v1/modules` (50 modules; target orgvault/bare >= 0.7); the cost model
 * `t(route) <= 1.3 x (t(bare HTTP) + t(library op))` for `GET /v1/modules/:c/:p`,
 * `PUT .../credentials` and `POST .../invoke` with `demo/echo` (t = 1 / rate; the library op runs in
 * the server's own process between rounds, one call at a time); then `mcp tools/call demo/echo`
 * against `POST .../invoke` (target >= 0.8). With --json the last line is one JSON object.
 *
 * Every row is also charged by the serving process's own CPU time per request (asked over IPC around
 * each round): on a 2-core machine autocannon can set the pace of the bare route, and a rate ratio
 * then flatters orgvault; CPU per request does not depend on who kept the server busy.
 * --profile DIR runs the orgvault server under --cpu-prof and leaves the profile in DIR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault } from '../src/vault.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  /** Added here: the server's CPU time (user + system) per request answered in the round, in µs. */
  cpu_us: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(n) || n <= 0 || n > 120) throw new Error(`--${name} must be a number from 1 to 120`);
  return n;
};
const duration = opt('duration', 5);
const connections = opt('connections', 10);
const rounds = opt('rounds', 3);
const json = argv.includes('--json');
/** --profile <dir>: the orgvault server runs under --cpu-prof and leaves its profile in <dir>. */
const profileAt = argv.indexOf('--profile');
const profileDir = profileAt >= 0 ? argv[profileAt + 1] : undefined;
if (profileAt >= 0 && (profileDir === undefined || profileDir.startsWith('--')))
  throw new Error('--profile takes a directory');
const ROOT = join(import.meta.dirname, '..');

function startTarget(args: string[], logFile?: string, nodeArgs: string[] = []): Promise<Target> {
  const out = logFile === undefined ? 'ignore' : openSync(logFile, 'a');
  const script = join(ROOT, 'bench/http-target.ts');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    // Only what `serve` reads: its defaults, but for a per-key limit the single bench key never reaches.
    env: { PATH: process.env.PATH ?? '', ORGVAULT_RATE_LIMIT_PER_MINUTE: '1000000' },
    stdio: ['ignore', out, 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench target did not start')), 60_000);
    const onMessage = (m: { port?: number }) => {
      if (m.port === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ child, port: m.port });
    };
    child.on('message', onMessage);
    child.on('exit', (code) => reject(new Error(`bench target exited with ${code}`)));
  });
}

interface Target {
  child: ChildProcess;
  port: number;
}

/** Asks a target for an answer over IPC; the first message `pick` accepts settles it. */
function ask<T>(
  target: Target,
  request: object,
  pick: (m: Record<string, unknown>) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench target exited with ${code}`));
    const onMessage = (m: Record<string, unknown>) => {
      const value = pick(m);
      if (value === undefined) return;
      target.child.off('message', onMessage);
      target.child.off('exit', onExit);
      resolve(value);
    };
    target.child.once('exit', onExit);
    target.child.on('message', onMessage);
    target.child.send(request);
  });
}

/** Library calls a second in the server's own process, and CPU µs per call (see http-target.ts). */
function libRate(target: Target, lib: string, ms: number): Promise<{ ops: number; cpu_us: number }> {
  return ask(target, { lib, ms }, (m) =>
    m.lib === lib && typeof m.ops === 'number' ? { ops: m.ops, cpu_us: m.cpu_us as number } : undefined,
  );
}

/** The target process's CPU time so far, in µs. */
const cpuOf = (target: Target): Promise<number> =>
  ask(target, { cpu: true }, (m) => (typeof m.cpu === 'number' ? m.cpu : undefined));

/** One autocannon round against a target, with the target's CPU per request measured around it. */
async function charged(target: Target, run: () => Promise<Omit<AutocannonResult, 'cpu_us'>>) {
  const before = await cpuOf(target);
  const r = await run();
  const cpu = (await cpuOf(target)) - before;
  return { ...r, cpu_us: cpu / Math.max(1, r.requests.total) } as AutocannonResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** The round whose rate is the median (its latencies go with it). */
function medianRound(rs: AutocannonResult[]): AutocannonResult {
  const m = median(rs.map((r) => r.requests.average));
  return rs.reduce((a, b) => (Math.abs(b.requests.average - m) < Math.abs(a.requests.average - m) ? b : a));
}

function assertOk(name: string, rs: AutocannonResult[]): void {
  for (const r of rs) {
    if (r.non2xx > 0 || r.errors > 0)
      throw new Error(`${name} answered ${r.non2xx} non-2xx, ${r.errors} errors`);
  }
}

/** One request shape, sent the same to orgvault and to the bare route. */
interface Shape {
  path: string;
  method: 'GET' | 'PUT' | 'POST';
  headers: Record<string, string>;
  body?: unknown;
}

function hit(target: Target, shape: Shape, seconds: number, withAuth: boolean): Promise<AutocannonResult> {
  const { 'x-api-key': _key, ...plain } = shape.headers;
  return charged(target, () =>
    autocannon({
      url: `http://127.0.0.1:${target.port}${shape.path}`,
      method: shape.method,
      headers: {
        ...(withAuth ? shape.headers : plain),
        ...(shape.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(shape.body === undefined ? {} : { body: JSON.stringify(shape.body) }),
      connections,
      duration: seconds,
    }),
  );
}

/**
 * `mcp tools/call demo/echo` against `POST /v1/conversations/:id/invoke` of the same module on the
 * same server, alternating rounds. Both record the call in a conversation (the MCP one through
 * `_meta.conversation_id`), so both do the same work behind the protocol. Target: MCP >= 0.8 of invoke.
 */
async function mcpVersusInvoke(
  target: Target,
  apiKey: string,
): Promise<{ mcp: AutocannonResult; invoke: AutocannonResult; mcpCpu: number; invokeCpu: number }> {
  const auth = { 'x-api-key': apiKey };
  const invokePath = '/v1/conversations/bench-invoke/invoke';
  const invokeBody = { module_id: 'demo/echo', action: 'echo', input: { hello: 'world' } };
  const mcpHeaders = { ...auth, accept: 'application/json, text/event-stream' };
  const mcpBody = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name: 'demo__echo__echo',
      arguments: { hello: 'world' },
      _meta: { conversation_id: 'bench-mcp' },
    },
  };
  const probe = await fetch(`http://127.0.0.1:${target.port}/v1/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...mcpHeaders },
    body: JSON.stringify(mcpBody),
  });
  const answer = (await probe.json()) as { result?: { isError?: boolean } };
  if (probe.status !== 200 || answer.result === undefined || answer.result.isError === true) {
    throw new Error(`unexpected MCP answer: ${probe.status} ${JSON.stringify(answer)}`);
  }
  // autocannon sends the same bytes on every request: one shape each, as for the other rows.
  const invoke: Shape = { path: invokePath, method: 'POST', headers: auth, body: invokeBody };
  const mcp: Shape = { path: '/v1/mcp', method: 'POST', headers: mcpHeaders, body: mcpBody };
  await hit(target, invoke, 2, true);
  await hit(target, mcp, 2, true);
  const mcps: AutocannonResult[] = [];
  const invokes: AutocannonResult[] = [];
  for (let round = 0; round < rounds; round++) {
    invokes.push(await hit(target, invoke, duration, true));
    mcps.push(await hit(target, mcp, duration, true));
  }
  assertOk('mcp', mcps);
  assertOk('invoke', invokes);
  return {
    mcp: medianRound(mcps),
    invoke: medianRound(invokes),
    mcpCpu: median(mcps.map((r) => r.cpu_us)),
    invokeCpu: median(invokes.map((r) => r.cpu_us)),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-bench-http-'));
  const children: ChildProcess[] = [];
  try {
    const databaseUrl = `sqlite:${join(dir, 'bench.db')}`;
    const masterKey = randomBytes(32).toString('base64');
    const vault = await openVault({ databaseUrl, dataDir: dir, masterKey, warn: () => {} });
    await vault.system.createOrg('bench');
    const categories = ['weather', 'calendar', 'search', 'crm', 'mail'];
    for (let i = 0; i < 50; i++) {
      const category = categories[i % categories.length] ?? 'misc';
      const platform = `platform-${String(i).padStart(2, '0')}`;
      await vault.org('bench').modules.install({
        name: platform,
        category,
        platform,
        version: '1.0.0',
        display_name: `${platform} integration`,
        description: 'A module installed for benchmarking, with a manifest of realistic size.',
        auth_type: 'api_key',
        requires_api_key: true,
        credential_fields: [{ name: 'api_key', required: true }],
      });
    }
    const apiKey = (await vault.org('bench').keys.create({ role: 'viewer', name: 'bench' })).apiKey;
    const adminKey = (await vault.org('bench').keys.create({ role: 'owner', name: 'bench-owner' })).apiKey;
    // The invoke and MCP rows run in an org of their own, so the list above stays 50 modules.
    await vault.system.createOrg('bench-mcp');
    const echo = { name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' };
    await vault.org('bench-mcp').modules.install(echo);
    const operatorKey = (await vault.org('bench-mcp').keys.create({ role: 'operator', name: 'mcp' })).apiKey;
    await vault.close();

    const logFile = join(dir, 'serve.log');
    const profiling = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    const api = await startTarget(['serve', databaseUrl, dir, masterKey], logFile, profiling);
    children.push(api.child);
    const list: Shape = { path: '/v1/modules', method: 'GET', headers: { 'x-api-key': apiKey } };
    const shapes: { name: string; lib: string; shape: Shape }[] = [
      {
        name: 'GET /v1/modules/:c/:p',
        lib: 'module.get',
        shape: { path: '/v1/modules/weather/platform-00', method: 'GET', headers: { 'x-api-key': adminKey } },
      },
      {
        name: 'PUT .../credentials',
        lib: 'credentials.store',
        shape: {
          path: '/v1/modules/weather/platform-00/credentials',
          method: 'PUT',
          headers: { 'x-api-key': adminKey },
          body: { credentials: { api_key: 'bench-credential' } },
        },
      },
      {
        name: 'POST .../invoke demo/echo',
        lib: 'conversation.invoke',
        shape: {
          path: '/v1/conversations/bench-http/invoke',
          method: 'POST',
          headers: { 'x-api-key': operatorKey },
          body: { module_id: 'demo/echo', action: 'echo', input: { hello: 'world' } },
        },
      },
    ];
    // The bare routes answer exactly the bytes orgvault answers.
    const answer = async (shape: Shape, expected: number) => {
      const res = await fetch(`http://127.0.0.1:${api.port}${shape.path}`, {
        method: shape.method,
        headers: {
          ...shape.headers,
          ...(shape.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(shape.body === undefined ? {} : { body: JSON.stringify(shape.body) }),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== expected) throw new Error(`${shape.method} ${shape.path}: ${res.status} ${bytes}`);
      return bytes;
    };
    const bytes = await answer(list, 200);
    const count = (JSON.parse(bytes.toString('utf8')) as { modules: unknown[] }).modules.length;
    if (count !== 50) throw new Error(`unexpected answer: ${count} modules`);
    writeFileSync(join(dir, 'list.json'), bytes);
    writeFileSync(join(dir, 'module.json'), await answer(shapes[0]?.shape as Shape, 200));
    await answer(shapes[1]?.shape as Shape, 204);
    writeFileSync(join(dir, 'invoke.json'), await answer(shapes[2]?.shape as Shape, 200));
    const bare = await startTarget(['bare', dir]);
    children.push(bare.child);

    // Warm-up (JIT, statement caches), then measured rounds alternating between the targets, so
    // a burst of load from elsewhere on the machine hits both alike; each figure is a median.
    const logBefore = statSync(logFile).size;
    let served = 0;
    const ours: AutocannonResult[] = [];
    const floor: AutocannonResult[] = [];
    const perShape = shapes.map(() => ({
      ours: [] as AutocannonResult[],
      bare: [] as AutocannonResult[],
      lib: [] as number[],
      libCpu: [] as number[],
    }));
    for (const s of [list, ...shapes.map((x) => x.shape)]) {
      await hit(api, s, 1, true);
      await hit(bare, s, 1, false);
    }
    for (let round = 0; round < rounds; round++) {
      const r = await hit(api, list, duration, true);
      served += r.requests.total;
      ours.push(r);
      floor.push(await hit(bare, list, duration, false));
      for (const [k, x] of shapes.entries()) {
        const row = perShape[k] as (typeof perShape)[number];
        const o = await hit(api, x.shape, duration, true);
        served += o.requests.total;
        row.ours.push(o);
        row.bare.push(await hit(bare, x.shape, duration, false));
        const lib = await libRate(api, x.lib, Math.min(2000, duration * 1000));
        row.lib.push(lib.ops);
        row.libCpu.push(lib.cpu_us);
      }
    }
    const logBytes = statSync(logFile).size - logBefore;
    assertOk('orgvault', ours);
    for (const [k, x] of shapes.entries()) assertOk(x.name, perShape[k]?.ours ?? []);

    const { mcp, invoke, mcpCpu, invokeCpu } = await mcpVersusInvoke(api, operatorKey);
    const mcpRatio = mcp.requests.average / invoke.requests.average;
    const mcpCpuRatio = invokeCpu / mcpCpu;
    const oursM = medianRound(ours);
    const floorM = medianRound(floor);
    const ratio = oursM.requests.average / floorM.requests.average;
    // By CPU: what one request costs the server, whether or not the load generator kept it busy.
    const oursCpu = median(ours.map((r) => r.cpu_us));
    const floorCpu = median(floor.map((r) => r.cpu_us));
    const cpuRatio = floorCpu / oursCpu;
    const model = shapes.map((x, k) => {
      const row = perShape[k] as (typeof perShape)[number];
      const route = medianRound(row.ours).requests.average;
      const bareRps = medianRound(row.bare).requests.average;
      const lib = median(row.lib);
      const tRoute = 1e6 / route;
      const tBare = 1e6 / bareRps;
      const tLib = 1e6 / lib;
      const cpu = {
        route: median(row.ours.map((r) => r.cpu_us)),
        bare: median(row.bare.map((r) => r.cpu_us)),
        lib: median(row.libCpu),
      };
      return {
        name: x.name,
        route,
        bareRps,
        lib,
        tRoute,
        tBare,
        tLib,
        ratio: tRoute / (tBare + tLib),
        cpu,
        cpuRatio: cpu.route / (cpu.bare + cpu.lib),
      };
    });
    const row = (name: string, r: AutocannonResult) =>
      `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p50 ${r.latency.p50} ms   p99 ${r.latency.p99} ms`;
    const us = (n: number) => `${n.toFixed(0).padStart(6)} us`;
    process.stdout.write(
      `bench:http  serve at its defaults (info request log to a file, rate limiter on), ${connections} connections, median of ${rounds} x ${duration} s\n` +
        `GET /v1/modules (50 modules, ${bytes.length} bytes)\n` +
        `${row('orgvault (auth + SQLite + JSON)', oursM)}\n${row('bare Fastify route (same bytes)', floorM)}\n` +
        `ratio orgvault/bare = ${ratio.toFixed(2)} by rate, ${cpuRatio.toFixed(2)} by server CPU (${oursCpu.toFixed(0)} vs ${floorCpu.toFixed(0)} us a request) (target >= 0.70)\n` +
        `request log: ${(logBytes / Math.max(1, served)).toFixed(0)} bytes a request\n` +
        `cost model t(route) <= 1.3 x (t(bare HTTP) + t(library op)), t = 1/rate\n` +
        model
          .map(
            (m) =>
              `  ${m.name.padEnd(28)} route ${us(m.tRoute)}  bare ${us(m.tBare)}  library ${us(m.tLib)}  ratio ${m.ratio.toFixed(2)}${m.ratio <= 1.3 ? '' : '  OVER'}`,
          )
          .join('\n') +
        `\nthe same by server CPU per request (t = CPU time of the serving process)\n` +
        model
          .map(
            (m) =>
              `  ${m.name.padEnd(28)} route ${us(m.cpu.route)}  bare ${us(m.cpu.bare)}  library ${us(m.cpu.lib)}  ratio ${m.cpuRatio.toFixed(2)}${m.cpuRatio <= 1.3 ? '' : '  OVER'}`,
          )
          .join('\n') +
        `\n${row('mcp tools/call demo/echo', mcp)}\n${row('POST .../invoke demo/echo', invoke)}\n` +
        `ratio mcp/invoke = ${mcpRatio.toFixed(2)} by rate, ${mcpCpuRatio.toFixed(2)} by server CPU (${mcpCpu.toFixed(0)} vs ${invokeCpu.toFixed(0)} us a request) (target >= 0.80)\n`,
    );
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          bench: 'http',
          defaults: true,
          route: 'GET /v1/modules',
          modules: 50,
          bytes: bytes.length,
          connections,
          duration_s: duration,
          rounds,
          statistic: 'median',
          orgvault_rps: Math.round(oursM.requests.average),
          bare_rps: Math.round(floorM.requests.average),
          ratio: Number(ratio.toFixed(3)),
          orgvault_cpu_us: Math.round(oursCpu),
          bare_cpu_us: Math.round(floorCpu),
          cpu_ratio: Number(cpuRatio.toFixed(3)),
          orgvault_p99_ms: oursM.latency.p99,
          bare_p99_ms: floorM.latency.p99,
          log_bytes_per_request: Math.round(logBytes / Math.max(1, served)),
          cost_model: model.map((m) => ({
            route: m.name,
            route_us: Math.round(m.tRoute),
            bare_us: Math.round(m.tBare),
            library_us: Math.round(m.tLib),
            ratio: Number(m.ratio.toFixed(3)),
            cpu_us: {
              route: Math.round(m.cpu.route),
              bare: Math.round(m.cpu.bare),
              library: Math.round(m.cpu.lib),
            },
            cpu_ratio: Number(m.cpuRatio.toFixed(3)),
          })),
          mcp_rps: Math.round(mcp.requests.average),
          invoke_rps: Math.round(invoke.requests.average),
          mcp_invoke_ratio: Number(mcpRatio.toFixed(3)),
          mcp_invoke_cpu_ratio: Number(mcpCpuRatio.toFixed(3)),
        })}\n`,
      );
    }
  } finally {
    // Waited for: a server under --profile writes its profile as it exits.
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
