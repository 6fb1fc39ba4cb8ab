import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';

const ROOT = join(import.meta.dirname, '../..');
/** Requests in flight at once during the burst. */
const WORKERS = 8;
/** Acknowledged writes after which the server is killed (mid-burst: the workers keep sending). */
const KILL_AFTER = 120;

/** The server's environment for this database, as a deployment would set it. */
function envOf(db: FreshDatabase): Record<string, string> {
  const o = db.options as FreshDatabase['options'] & { databaseOwnerUrl?: string };
  return {
    PATH: process.env.PATH ?? '',
    ORGVAULT_DATABASE_URL: o.databaseUrl,
    ...(o.databaseOwnerUrl ? { ORGVAULT_DATABASE_OWNER_URL: o.databaseOwnerUrl } : {}),
    ORGVAULT_DATA_DIR: o.dataDir,
    ORGVAULT_MASTER_KEY: o.masterKey,
    ORGVAULT_LOG_LEVEL: 'warn',
    ORGVAULT_RATE_LIMIT_PER_MINUTE: '1000000',
  };
}

/** `orgvault serve --port 0` in a child process; resolves with its address once it listens. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0'],
      { cwd: ROOT, env: { ...env, ORGVAULT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        // Nothing more is read: the log is not what this test is about.
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve({ child, url: m[1] });
      }
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

for (const backend of await selectedBackends()) {
  describe(`${backend.name}: durability across SIGKILL`, () => {
    it('every write the server acknowledged before it was killed mid-burst is present and readable after reopening', async () => {
      const db = await backend.fresh();
      try {
        const setup = await openVault({ ...db.options, warn: () => {} });
        const owner = (await setup.auth.bootstrap()).apiKey;
        await setup.close();

        const { child, url } = await startServer(envOf(db));
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        const headers = { 'x-api-key': owner, 'content-type': 'application/json' };
        const installed: string[] = [];
        const stored = new Map<string, string>();
        let next = 0;
        let killed = false;
        const worker = async () => {
          while (!killed) {
            const n = next++;
            const platform = `platform_${n}`;
            try {
              const put = await fetch(`${url}/v1/modules/weather/${platform}`, {
                method: 'PUT',
                headers,
                body: JSON.stringify({ name: platform, category: 'weather', platform, version: `1.${n}.0` }),
              });
              if (put.status !== 201) throw new Error(`install answered ${put.status}`);
              installed.push(platform);
              const secret = `secret-${n}-${'x'.repeat(16)}`;
              const cred = await fetch(`${url}/v1/modules/weather/${platform}/credentials`, {
                method: 'PUT',
                headers,
                body: JSON.stringify({ credentials: { api_key: secret } }),
              });
              if (cred.status !== 204) throw new Error(`credential store answered ${cred.status}`);
              stored.set(platform, secret);
            } catch (err) {
              // After the kill a request fails without an answer: that write was never acknowledged.
              if (killed) return;
              throw err;
            }
            if (!killed && installed.length + stored.size >= KILL_AFTER) {
              killed = true;
              child.kill('SIGKILL');
            }
          }
        };
        await Promise.all(Array.from({ length: WORKERS }, worker));
        await exited;
        expect(installed.length + stored.size).toBeGreaterThanOrEqual(KILL_AFTER);

        // Reopened (SQLite recovers its WAL here): every acknowledged write is there and opens.
        const vault = await openVault({ ...db.options, warn: () => {} });
        try {
          const org = vault.org();
          for (const [i, platform] of installed.entries()) {
            const m = await org.modules.get(`weather/${platform}`);
            expect(m?.moduleId, `acknowledged install ${i}`).toBe(`weather/${platform}`);
          }
          for (const [platform, secret] of stored) {
            expect(await org.credentials.retrieve(`weather/${platform}`)).toEqual({ api_key: secret });
          }
          // The audit chain survived whole: one event per acknowledged write at least, every link intact.
          const chain = await internalsOf(vault).audit.verify('default');
          expect(chain.ok).toBe(true);
          expect(chain.events).toBeGreaterThanOrEqual(installed.length + stored.size);
        } finally {
          await vault.close();
        }
      } finally {
        await db.dispose();
      }
    }, 180_000);
  });
}
