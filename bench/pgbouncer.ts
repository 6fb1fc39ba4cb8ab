/**
 * `npm run bench:pgbouncer [-- --seconds S] [-- --json]`
 *
 * The same library operations on one PostgreSQL reached directly (named prepared statements, the
 * default) and through a transaction-pooling PgBouncer started for the run (unnamed statements,
 * ORGVAULT_PG_PREPARED_STATEMENTS=off), 8 calls in flight, median of 3 rounds each; the ratio is
 * through-PgBouncer / direct ops/s. Also direct with unnamed statements, to tell the cost of the
 * pooler's hop from the cost of parsing every statement. Needs /usr/sbin/pgbouncer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault, type Vault } from '../src/vault.js';
import { startPgBouncer } from '../test/support/pgbouncer.js';
import { createBenchSchema } from './postgres-setup.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(argv[i + 1]) : 2;
const json = argv.includes('--json');
const IN_FLIGHT = 8;

type Op = (v: Vault) => Promise<unknown>;
const OPS: [string, Op][] = [
  ['modules.get', (v) => v.org('acme').modules.get('weather/openweather')],
  ['modules.list', (v) => v.org('acme').modules.list()],
  ['credentials.retrieve', (v) => v.org('acme').credentials.retrieve('weather/openweather')],
  [
    'conversation.invoke',
    (v) =>
      v.org('acme').conversations.invoke('bench', { moduleId: 'demo/echo', action: 'echo', input: { a: 1 } }),
  ],
];

async function rate(v: Vault, op: Op, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        await op(v);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const schema = await createBenchSchema();
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-bench-pgb-'));
  const bouncer = await startPgBouncer({ users: [schema.runtimeRole], poolSize: IN_FLIGHT });
  const vaults: Vault[] = [];
  try {
    const base = {
      databaseOwnerUrl: schema.ownerUrl,
      dataDir: dir,
      masterKey: randomBytes(32).toString('base64'),
      warn: () => {},
    };
    const direct = await openVault({ ...base, databaseUrl: schema.runtimeUrl });
    vaults.push(direct);
    await direct.system.createOrg('acme');
    await direct
      .org('acme')
      .modules.install({ name: 'ow', category: 'weather', platform: 'openweather', version: '1.0.0' });
    await direct.org('acme').credentials.store('weather/openweather', { api_key: 'bench-secret' });
    await direct
      .org('acme')
      .modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
    const unnamed = await openVault({ ...base, databaseUrl: schema.runtimeUrl, pgPreparedStatements: false });
    const pooled = await openVault({
      ...base,
      databaseUrl: bouncer.through(schema.runtimeUrl),
      pgPreparedStatements: false,
    });
    vaults.push(unnamed, pooled);
    const rows = [];
    for (const [name, op] of OPS) {
      const r: Record<string, number[]> = { direct: [], unnamed: [], pooled: [] };
      for (const v of [direct, unnamed, pooled]) await rate(v, op, 300);
      for (let round = 0; round < 3; round++) {
        r.direct?.push(await rate(direct, op, seconds * 1000));
        r.unnamed?.push(await rate(unnamed, op, seconds * 1000));
        r.pooled?.push(await rate(pooled, op, seconds * 1000));
      }
      rows.push({
        op: name,
        direct: median(r.direct ?? []),
        unnamed: median(r.unnamed ?? []),
        pgbouncer: median(r.pooled ?? []),
      });
    }
    process.stdout.write(
      `bench:pgbouncer  PgBouncer (transaction pooling, unnamed statements) vs direct, ${IN_FLIGHT} in flight, median of 3 x ${seconds} s\n` +
        rows
          .map(
            (r) =>
              `  ${r.op.padEnd(22)} direct ${r.direct.toFixed(0).padStart(6)} ops/s   direct unnamed ${r.unnamed.toFixed(0).padStart(6)}   pgbouncer ${r.pgbouncer.toFixed(0).padStart(6)}   ratio pgbouncer/direct ${(r.pgbouncer / r.direct).toFixed(2)}`,
          )
          .join('\n') +
        '\n',
    );
    if (json) process.stdout.write(`${JSON.stringify({ bench: 'pgbouncer', seconds, rows })}\n`);
  } finally {
    for (const v of vaults) await v.close();
    await bouncer.stop();
    await schema.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
