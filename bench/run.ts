/**
 * `npm run bench [-- --json] [-- --quick] [-- --only <prefix>] [-- --scale[=<orgs>]]`: orgvault's library operations against their floors,
 * measured in the same run on 100 orgs x 50 modules. Prints ops/s and ratio = floor / orgvault
 * (target <= 1.5). With --json the last line is one JSON object {"ops": {...}}. --only measures the
 * operations whose name starts with <prefix> (e.g. `langgraph.`), for a quick look at one area.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openVault } from '../src/vault.js';
import { authCases } from './auth-cases.js';
import { buildDataset } from './dataset.js';
import { type BenchCase, type CaseResult, measure, printTable } from './harness.js';
import { langgraphCases } from './langgraph-cases.js';
import { sqliteCases } from './sqlite-cases.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const engineArg = process.argv.find((_arg, i, all) => all[i - 1] === '--engine') ?? 'sqlite';
const onlyArg = process.argv.find((_arg, i, all) => all[i - 1] === '--only') ?? '';
const selected = (c: BenchCase) => c.name.startsWith(onlyArg);
/** `--scale` (10,000 orgs) or `--scale=<orgs>`: see scale.ts. */
const scaleArg = process.argv.find((arg) => arg === '--scale' || arg.startsWith('--scale='));

async function main(): Promise<void> {
  if (scaleArg !== undefined) {
    const { runScale } = await import('./scale.js');
    const orgs = scaleArg === '--scale' ? 10_000 : Number(scaleArg.slice('--scale='.length));
    return runScale(orgs, { json, quick });
  }
  if (engineArg === 'postgres') return runPostgres();
  if (engineArg !== 'sqlite') throw new Error(`unknown --engine ${engineArg} (sqlite | postgres)`);
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-bench-'));
  const path = join(dir, 'bench.db');
  const vault = await openVault({
    databaseUrl: `sqlite:${path}`,
    dataDir: dir,
    masterKey: randomBytes(32).toString('base64'),
    warn: () => {},
  });
  try {
    const t0 = performance.now();
    const data = await buildDataset(vault);
    const setupMs = Math.round(performance.now() - t0);
    const results: Record<string, CaseResult> = {};
    const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
    const lgFloor = SqliteSaver.fromConnString(join(dir, 'langgraph-floor.db'));
    const lg = await langgraphCases(vault, data.orgs[0] as string, lgFloor);
    for (const c of [
      ...sqliteCases(vault, path, data),
      ...(await authCases(vault, path, data.orgs)),
      ...lg,
    ].filter(selected)) {
      results[c.name] = await measure(c, { rounds: quick ? 3 : 7, roundMs: quick ? 150 : 400 });
    }
    printTable(
      results,
      `orgvault bench: engine=sqlite, ${data.orgs.length} orgs x ${data.pairs.length / data.orgs.length} modules (setup ${setupMs} ms); ratio = floor/orgvault, target <= 1.5`,
    );
    if (json) process.stdout.write(`${JSON.stringify({ engine: 'sqlite', ops: results })}\n`);
  } finally {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--engine postgres`: a throw-away schema with owner and runtime roles; floors through the same pool. */
async function runPostgres(): Promise<void> {
  const { createBenchSchema } = await import('./postgres-setup.js');
  const { postgresCases } = await import('./postgres-cases.js');
  const schema = await createBenchSchema();
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-bench-'));
  const vault = await openVault({
    databaseUrl: schema.runtimeUrl,
    databaseOwnerUrl: schema.ownerUrl,
    dataDir: dir,
    masterKey: randomBytes(32).toString('base64'),
    warn: () => {},
  });
  let floorEnd = async () => {};
  try {
    const t0 = performance.now();
    const data = await buildDataset(vault);
    const setupMs = Math.round(performance.now() - t0);
    const results: Record<string, CaseResult> = {};
    const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
    // LangGraph's saver creates its schema itself: a sibling schema, made and dropped as administrator.
    const floorSchema = `${schema.schema}_lgfloor`;
    const lgFloor = PostgresSaver.fromConnString(schema.adminUrl, { schema: floorSchema });
    floorEnd = async () => {
      const admin = new pg.Client({ connectionString: schema.adminUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(floorSchema)} CASCADE`);
      await admin.end();
      await lgFloor.end();
    };
    await lgFloor.setup();
    const lg = await langgraphCases(vault, data.orgs[0] as string, lgFloor);
    for (const c of [...(await postgresCases(vault, schema, data)), ...lg].filter(selected)) {
      results[c.name] = await measure(c, { rounds: quick ? 3 : 7, roundMs: quick ? 150 : 400 });
    }
    printTable(
      results,
      `orgvault bench: engine=postgres, ${data.orgs.length} orgs x ${data.pairs.length / data.orgs.length} modules (setup ${setupMs} ms); ratio = floor/orgvault, target <= 1.5; rls rows: ratio = RLS overhead (copy without RLS / with), target <= 1.2`,
    );
    if (json) process.stdout.write(`${JSON.stringify({ engine: 'postgres', ops: results })}\n`);
  } finally {
    await floorEnd();
    await vault.close();
    await schema.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
