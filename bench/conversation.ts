/**
 * `npm run bench:conversation [-- --engine sqlite|postgres] [-- --calls N] [-- --json]`
 *
 * One conversation, N invocations of `demo/echo` (default 5,000) one after another through the
 * library: the mean time a call of the first 100 and of the last 100, their ratio (target <= 1.1:
 * a call costs the same however long the conversation is), and the state's size after the first 100
 * and at the end (bounded by ORGVAULT_STATE_TOOL_RESULTS_WINDOW). A figure, never a test assertion.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault, type Vault } from '../src/vault.js';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const engine = arg('engine') ?? 'sqlite';
const calls = Number(arg('calls') ?? 5000);
if (!Number.isInteger(calls) || calls < 200) throw new Error('--calls must be an integer >= 200');
const json = argv.includes('--json');

async function run(vault: Vault): Promise<void> {
  const org = vault.org();
  await org.modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
  const times: number[] = [];
  let sizeAt100 = 0;
  let sizeAtEnd = 0;
  for (let n = 1; n <= calls; n++) {
    const t0 = performance.now();
    const { state } = await org.conversations.invoke('bench-long', {
      moduleId: 'demo/echo',
      action: 'echo',
      input: { n, text: 'a tool input of a realistic few dozen bytes' },
    });
    times.push(performance.now() - t0);
    if (n === 100) sizeAt100 = JSON.stringify(state).length;
    if (n === calls) sizeAtEnd = JSON.stringify(state).length;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(times.slice(0, 100));
  const last = mean(times.slice(-100));
  process.stdout.write(
    `bench:conversation engine=${engine}, ${calls} invocations in one conversation\n` +
      `first 100: ${(first * 1000).toFixed(0)} us a call   last 100: ${(last * 1000).toFixed(0)} us a call   ratio last/first = ${(last / first).toFixed(2)} (target <= 1.10)\n` +
      `state: ${sizeAt100} bytes after 100 calls, ${sizeAtEnd} bytes after ${calls}\n`,
  );
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'conversation',
        engine,
        calls,
        first100_us: Math.round(first * 1000),
        last100_us: Math.round(last * 1000),
        ratio: Number((last / first).toFixed(3)),
        state_bytes_100: sizeAt100,
        state_bytes_end: sizeAtEnd,
      })}\n`,
    );
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-bench-conv-'));
  const masterKey = randomBytes(32).toString('base64');
  try {
    if (engine === 'postgres') {
      const { createBenchSchema } = await import('./postgres-setup.js');
      const schema = await createBenchSchema();
      try {
        const vault = await openVault({
          databaseUrl: schema.runtimeUrl,
          databaseOwnerUrl: schema.ownerUrl,
          dataDir: dir,
          masterKey,
          warn: () => {},
        });
        try {
          await run(vault);
        } finally {
          await vault.close();
        }
      } finally {
        await schema.dispose();
      }
      return;
    }
    if (engine !== 'sqlite') throw new Error(`unknown --engine ${engine} (sqlite | postgres)`);
    const vault = await openVault({
      databaseUrl: `sqlite:${join(dir, 'bench.db')}`,
      dataDir: dir,
      masterKey,
      warn: () => {},
    });
    try {
      await run(vault);
    } finally {
      await vault.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
