import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';

const ROOT = join(import.meta.dirname, '../..');
// Colours a terminal gets from pino-pretty; stripped before reading the lines.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Served {
  port: number;
  /** Resolves with every line printed so far once one matches. */
  waitFor(pattern: RegExp): Promise<string[]>;
}

/**
 * `orgvault serve --port 0` as an operator starts it: through a pipe, or on a pseudo-terminal
 * (util-linux `script`). Stopped with SIGTERM to its own process group after the test.
 */
const children: ChildProcess[] = [];
async function serve(env: Record<string, string>, onTerminal: boolean): Promise<Served> {
  const argv = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0'];
  const [cmd, args] = onTerminal
    ? ['script', ['-qfec', argv.join(' '), '/dev/null']]
    : [argv[0] as string, argv.slice(1)];
  const child = spawn(cmd as string, args as string[], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let out = '';
  const waiters: { pattern: RegExp; resolve: (lines: string[]) => void }[] = [];
  const lines = () =>
    out
      .replace(ANSI, '')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(out.replace(ANSI, ''))) w.resolve(lines());
      else waiters.push(w);
    }
  };
  child.stdout?.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr?.on('data', (d) => {
    out += d;
    check();
  });
  const waitFor = (pattern: RegExp) =>
    new Promise<string[]>((resolve) => {
      waiters.push({ pattern, resolve });
      check();
    });
  // JSON puts the address before msg, pretty after it: wait for the line, then read the port.
  const listening = await waitFor(/orgvault listening/);
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(listening.join('\n'))?.[1]);
  return { port, waitFor };
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    const closed = new Promise((resolve) => child.on('close', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await closed;
  }
});

/** Issue 13, Logs: pretty on a terminal or when asked, ISO times, the request id on every line. */
describe('orgvault serve logs: JSON through a pipe, pretty on a terminal or with ORGVAULT_LOG_FORMAT=pretty', () => {
  let db: FreshDatabase;
  let env: Record<string, string>;
  let apiKey: string;
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
    const v = await openVault({ ...db.options, warn: () => {} });
    await v.org().modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
    apiKey = (await v.org().keys.create({ role: 'admin' })).apiKey;
    await v.close();
    env = {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: db.options.masterKey,
    };
  });
  afterEach(async () => db.dispose());

  /** One module call: its request's lines are the invocation line and the request line. */
  async function invoke(port: number): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${port}/v1/conversations/logged/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ module_id: 'demo/echo', action: 'echo', input: { secret: 'never-logged' } }),
    });
    expect(res.status).toBe(200);
    return res.headers.get('x-request-id') as string;
  }

  it('through a pipe: one JSON object a line, ISO time, the request id on each line of the call', async () => {
    const s = await serve(env, false);
    const requestId = await invoke(s.port);
    const lines = await s.waitFor(/"msg":"request completed"}\n/);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const p of parsed) expect(p.time).toMatch(ISO);
    const ofRequest = parsed.filter((p) => p.reqId === requestId).map((p) => p.msg);
    expect(ofRequest).toEqual(expect.arrayContaining(['module invoked', 'request completed']));
    expect(lines.join('\n')).not.toContain('never-logged');
    expect(lines.join('\n')).not.toContain(apiKey);
  });

  for (const [how, extra, onTerminal] of [
    ['ORGVAULT_LOG_FORMAT=pretty through a pipe', { ORGVAULT_LOG_FORMAT: 'pretty' }, false],
    ['on a terminal, unset', {}, true],
  ] as const) {
    it(`${how}: lines for a person, ISO time first, the request id on each line of the call`, async () => {
      const s = await serve({ ...env, ...extra }, onTerminal);
      const requestId = await invoke(s.port);
      const lines = await s.waitFor(/INFO: request completed.*\r?\n/);
      const logged = lines.filter((l) => l.startsWith('['));
      expect(logged.length).toBeGreaterThanOrEqual(3);
      for (const l of logged) {
        expect(() => JSON.parse(l)).toThrow();
        expect(/^\[([^\]]+)\] (INFO|WARN|ERROR):/.exec(l)?.[1]).toMatch(ISO);
      }
      const ofRequest = logged.filter((l) => l.includes(`"reqId":"${requestId}"`));
      expect(ofRequest.some((l) => l.includes('INFO: module invoked'))).toBe(true);
      expect(ofRequest.some((l) => l.includes('INFO: request completed'))).toBe(true);
      expect(lines.join('\n')).not.toContain('never-logged');
      expect(lines.join('\n')).not.toContain(apiKey);
    });
  }
});
