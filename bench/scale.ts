/**
 * `npm run bench -- --scale[=<orgs>]` (SQLite): the same operations and floors as the main bench on
 * two databases, a small one (50 orgs x 100 modules, 5k rows) and a copy of it filled to <orgs> x 100
 * modules (default 10,000 orgs: 1M module rows, 200k credentials) through orgvault's own API (every
 * install with its audit row). After the fill both are measured in the same rounds (harness.ts,
 * measureSizes), so a change of the machine's load between the sizes cannot pass for a cost of
 * growing. Prints per operation both rates and the cost (small/large) for orgvault and for its floor,
 * then the database sizes and the process RSS. A smaller <orgs> gives a quick run; the full fill takes
 * a while on a loaded machine, so on a terminal a bar counts the orgs filled (nothing on stderr with
 * --json or through a pipe). --quick measures in fewer, shorter rounds; --json ends with one JSON line
 * {"engine", "module_rows", "ops": {name: {small, large, cost, floor_cost}}, ...}.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Progress, progressFor } from '../src/cli/progress.js';
import { openVault, type Vault } from '../src/vault.js';
import { authCases } from './auth-cases.js';
import type { Dataset } from './dataset.js';
import { type BenchCase, measureSizes, type SizedResult } from './harness.js';
import { sqliteCases } from './sqlite-cases.js';

const MODULES_PER_ORG = 100;
const CREDENTIALS_PER_ORG = 20;
const SMALL_ORGS = 50;
const CATEGORIES = ['weather', 'calendar', 'search', 'crm', 'mail'];

const orgName = (i: number) => `org-${String(i).padStart(5, '0')}`;
const moduleName = (j: number) =>
  `${CATEGORIES[j % CATEGORIES.length]}/platform-${String(j).padStart(3, '0')}`;

function manifestFor(moduleId: string, i: number) {
  const [category, platform] = moduleId.split('/') as [string, string];
  return {
    name: platform,
    category,
    platform,
    version: `1.${i % 100}.0`,
    display_name: `${platform} integration`,
    description: 'A module installed for benchmarking, with a manifest of realistic size.',
    auth_type: 'api_key',
    requires_api_key: true,
    credential_fields: [{ name: 'api_key', required: true }],
  };
}

/** Orgs [from, to) with their modules and credentials, installed through the library. */
async function fill(vault: Vault, from: number, to: number, progress: Progress): Promise<void> {
  progress.start(to - from);
  for (let i = from; i < to; i++) {
    const org = orgName(i);
    await vault.system.createOrg(org);
    for (let j = 0; j < MODULES_PER_ORG; j++) {
      const mod = moduleName(j);
      await vault.org(org).modules.install(manifestFor(mod, 0));
      if (j < CREDENTIALS_PER_ORG)
        await vault.org(org).credentials.store(mod, { api_key: `secret-${org}-${j}` });
    }
    progress.tick(1, org);
  }
  progress.stop();
}

/** The pairs of orgs [0, orgs), shuffled deterministically (consecutive operations touch different rows). */
function dataset(orgs: number): Dataset {
  const names = Array.from({ length: orgs }, (_, i) => orgName(i));
  const pairs: [string, string][] = [];
  const credentialPairs: [string, string][] = [];
  for (const org of names) {
    for (let j = 0; j < MODULES_PER_ORG; j++) {
      pairs.push([org, moduleName(j)]);
      if (j < CREDENTIALS_PER_ORG) credentialPairs.push([org, moduleName(j)]);
    }
  }
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const list of [pairs, credentialPairs]) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [list[i], list[j]] = [list[j] as [string, string], list[i] as [string, string]];
    }
  }
  return { orgs: names, pairs, credentialPairs, manifestFor };
}

const sizeOf = (path: string) => {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(`${path}${suffix}`).size;
    } catch {
      // No WAL file at this moment.
    }
  }
  return total;
};

export interface ScaleOptions {
  /** One JSON line at the end (and no bar). */
  json?: boolean;
  /** Fewer, shorter rounds: a quick look, noisier figures. */
  quick?: boolean;
}

/** The operations and floors of one vault, with verification keys made in its own first orgs. */
async function casesOf(vault: Vault, path: string, data: Dataset): Promise<BenchCase[]> {
  return [...sqliteCases(vault, path, data), ...(await authCases(vault, path, data.orgs))];
}

async function openAt(dir: string, path: string, masterKey: string): Promise<Vault> {
  // One data dir for both vaults: the large one starts as a copy of the small one and needs the
  // same keys.
  return openVault({ databaseUrl: `sqlite:${path}`, dataDir: dir, masterKey, warn: () => {} });
}

export async function runScale(orgs: number, options: ScaleOptions = {}): Promise<void> {
  if (!Number.isInteger(orgs) || orgs < SMALL_ORGS) {
    throw new Error(`--scale=<orgs> takes an integer of at least ${SMALL_ORGS}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'orgvault-scale-'));
  const smallPath = join(dir, 'small.db');
  const largePath = join(dir, 'large.db');
  const masterKey = randomBytes(32).toString('base64');
  const vaults: Vault[] = [];
  try {
    const quick = options.quick === true;
    const smallVault = await openAt(dir, smallPath, masterKey);
    vaults.push(smallVault);
    await fill(smallVault, 0, SMALL_ORGS, progressFor(`filling ${SMALL_ORGS} orgs`, options));
    // The large database starts as a page-for-page copy of the small one and grows from there:
    // both are then measured in the same rounds, so the machine's load cannot tell them apart.
    const copier = new BetterSqlite3(smallPath, { readonly: true });
    await copier.backup(largePath);
    copier.close();
    const largeVault = await openAt(dir, largePath, masterKey);
    vaults.push(largeVault);
    const t0 = performance.now();
    const label = `filling to ${orgs.toLocaleString('en-US')} orgs`;
    await fill(largeVault, SMALL_ORGS, orgs, progressFor(label, options));
    const fillSeconds = Math.round((performance.now() - t0) / 1000);
    const smallCases = await casesOf(smallVault, smallPath, dataset(SMALL_ORGS));
    const largeCases = await casesOf(largeVault, largePath, dataset(orgs));
    const rounds = quick ? { rounds: 5, roundMs: 100 } : { rounds: 15, roundMs: 200 };
    const results: Record<string, SizedResult> = {};
    for (const [k, c] of smallCases.entries()) {
      results[c.name] = await measureSizes(c, largeCases[k] as BenchCase, rounds);
    }
    const bytes = { small: sizeOf(smallPath), large: sizeOf(largePath) };
    const rss = process.memoryUsage().rss;
    const rows = (orgs * MODULES_PER_ORG).toLocaleString('en-US');
    process.stdout.write(
      `orgvault bench --scale: engine=sqlite, ${(SMALL_ORGS * MODULES_PER_ORG).toLocaleString('en-US')} vs ${rows} module rows, ${(orgs * CREDENTIALS_PER_ORG).toLocaleString('en-US')} credentials (fill ${fillSeconds} s); both databases measured in the same ${rounds.rounds} rounds; cost = median of the rounds' small ops/s / large ops/s (1.00: flat)\n`,
    );
    const head = [
      'operation',
      'ops/s small',
      'ops/s large',
      'cost',
      'floor small',
      'floor large',
      'floor cost',
    ];
    const table = Object.entries(results).map(([name, r]) => [
      name,
      r.small.ops_per_s.toLocaleString('en-US'),
      r.large.ops_per_s.toLocaleString('en-US'),
      r.cost.toFixed(2),
      r.small.floor_ops_per_s.toLocaleString('en-US'),
      r.large.floor_ops_per_s.toLocaleString('en-US'),
      r.floor_cost.toFixed(2),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    process.stdout.write(`${line(head)}\n${table.map(line).join('\n')}\n`);
    const lone = Object.entries(results).filter(([, r]) => r.bare_statement_cost !== undefined);
    process.stdout.write(
      `lone statement cost (the write's upsert alone, for reference): ${lone.map(([name, r]) => `${name} ${r.bare_statement_cost?.toFixed(2)}`).join(', ')}\n`,
    );
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    process.stdout.write(
      `database: ${mb(bytes.small)} small, ${mb(bytes.large)} large (file + WAL); RSS ${mb(rss)} (both vaults open)\n`,
    );
    if (options.json) {
      const summary = {
        engine: 'sqlite',
        module_rows: { small: SMALL_ORGS * MODULES_PER_ORG, large: orgs * MODULES_PER_ORG },
        fill_s: fillSeconds,
        ops: results,
        database_bytes: bytes,
        rss_bytes: rss,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    }
  } finally {
    for (const v of vaults) await v.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
