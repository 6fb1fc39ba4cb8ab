import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's pgbouncer (1.18 here): `.ci/run` installs it when missing. */
export const PGBOUNCER_BIN = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));

/** In CI a missing pgbouncer fails the suite instead of skipping it (a skip would look like a pass). */
export const PGBOUNCER_REQUIRED = process.env.CI === 'true';

export const PGBOUNCER_SKIP_REASON =
  'PgBouncer tests SKIPPED: pgbouncer is not installed (apt-get install -y pgbouncer)';

export interface RunningPgBouncer {
  port: number;
  /** The same URL with its host and port moved to this pgbouncer (user, database, password kept). */
  through(url: string): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A pgbouncer of its own for one test file: transaction pooling on a free loopback port, in front of
 * the PostgreSQL at 127.0.0.1:5432, trust auth for the given roles only (its own ini and userlist in a
 * temp dir). Resolves once pgbouncer reports it is up; stop() ends that process and only it.
 */
export async function startPgBouncer(options: {
  users: string[];
  poolSize?: number;
}): Promise<RunningPgBouncer> {
  if (PGBOUNCER_BIN === undefined) throw new Error(PGBOUNCER_SKIP_REASON);
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-pgbouncer-'));
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const userlist = join(dir, 'userlist.txt');
  writeFileSync(userlist, options.users.map((u) => `"${u}" ""\n`).join(''));
  writeFileSync(
    ini,
    [
      '[databases]',
      '* = host=127.0.0.1 port=5432',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${userlist}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 4}`,
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      'server_check_delay = 0',
      '',
    ].join('\n'),
  );
  // pgbouncer refuses to run as root; it then drops to the postgres user, which must read its files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    chmodSync(ini, 0o644);
    chmodSync(userlist, 0o644);
  }
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d;
      if (log.includes('process up')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`pgbouncer exited with ${code}: ${log}`)));
    child.once('error', reject);
  });
  return {
    port,
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
