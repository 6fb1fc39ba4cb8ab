import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importNexus } from '../../src/importers/nexus/import-nexus.js';
import { openVault } from '../../src/vault.js';
import { copyFixture, type FixtureCopy } from '../import/nexus-fixtures.js';
import {
  type FreshDatabase,
  freshVault,
  selectedBackends,
  sqliteBackend,
  testMasterKey,
} from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest, WEATHER } from '../support/manifests.js';

const run = promisify(execFile);
const backends = await selectedBackends();
const ROOT = join(import.meta.dirname, '../..');

/**
 * Runs orgvault under a pseudo-terminal (util-linux `script`), as a person at a terminal would.
 * `script -e` exits with the command's code; `expectCode` is the one this run must end with.
 */
async function onTerminal(args: string[], env: Record<string, string>, expectCode = 0): Promise<string> {
  const command = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args].join(' ');
  const options = { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env } };
  const outcome = await run('script', ['-qec', command, '/dev/null'], options).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  );
  expect(outcome.code, outcome.stdout).toBe(expectCode);
  return outcome.stdout;
}

describe('progress of long CLI work: a bar on a terminal, nothing on a pipe or with --json', () => {
  let db: FreshDatabase;
  let env: Record<string, string>;
  const next = testMasterKey();
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
    const v = await openVault({ ...db.options, warn: () => {} });
    for (const org of ['a1', 'a2', 'a3']) {
      await v.system.createOrg(org);
      await v.org(org).modules.install(manifest(WEATHER));
      await v.org(org).credentials.store(WEATHER, { api_key: `sk-${org}` });
    }
    await v.close();
    env = {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: `${next},${db.options.masterKey}`,
    };
  });
  afterEach(async () => db.dispose());

  it('master-key rotate through a pipe: stderr stays empty', async () => {
    const r = await runOrgvault(['master-key', 'rotate'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/re-wrapped 3 org key/);
  });

  it('master-key rotate on a terminal shows the bar to 3/3; with --json it does not', async () => {
    const shown = await onTerminal(['master-key', 'rotate'], env);
    expect(shown).toMatch(/re-wrapping org keys .*3\/3/);
    const quiet = await onTerminal(['master-key', 'rotate', '--json'], env);
    expect(quiet).not.toMatch(/re-wrapping/);
    expect(quiet).toMatch(/"rewrapped": 0/);
  });

  it('orgs delete on a terminal shows its two steps; through a pipe stderr stays empty', async () => {
    const shown = await onTerminal(['orgs', 'delete', 'a1', '--yes'], env);
    expect(shown).toMatch(/deleting a1 .*2\/2/);
    const r = await runOrgvault(['orgs', 'delete', 'a2', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

/** The counts a bar showed, in order: `label [...] 12/34`. */
const counts = (text: string, label: string) =>
  [...text.matchAll(new RegExp(`${label} \\[[^\\]]*\\] (\\d+)/(\\d+)`, 'g'))].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);

describe('progress of import-nexus: per org, module, credential and API key, only on a terminal', () => {
  let db: FreshDatabase;
  let fixture: FixtureCopy;
  let env: Record<string, string>;
  let args: string[];
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
    fixture = copyFixture('v2-org-scoped');
    env = {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: db.options.masterKey,
    };
    args = [
      'import-nexus',
      '--registry',
      fixture.registry,
      '--credentials',
      fixture.credentials,
      '--api-keys',
      fixture.apiKeys as string,
      '--nexus-key',
      fixture.expected.nexus_encryption_key,
    ];
  });
  afterEach(async () => {
    fixture.dispose();
    await db.dispose();
  });

  it('on a terminal the bar counts every item to its total and names them, never a value', async () => {
    const e = fixture.expected;
    // The fixture holds one unreadable credential: exit 3 (everything else imported).
    const shown = await onTerminal(args, env, 3);
    const seen = counts(shown, 'importing NEXUS');
    const last = seen.at(-1) as number[];
    expect(last[0]).toBe(last[1]);
    // At least every org, module, readable credential and key of the fixture.
    const readable = e.credentials.length;
    expect(last[1]).toBeGreaterThanOrEqual(
      e.organizations.length + e.modules.length + readable + e.api_keys.length,
    );
    expect(shown).toMatch(/importing NEXUS .*\d+\/\d+ (org|module|credentials|API key) /);
    expect(shown).toMatch(/imported \d+ organization/);
    for (const c of e.credentials) {
      for (const value of Object.values(c.credentials)) expect(shown).not.toContain(value);
    }
    for (const k of e.api_keys) expect(shown).not.toContain(k.plaintext);
  });

  it('a dry run on a terminal shows its own bar; --json and a pipe stay quiet', async () => {
    const dry = await onTerminal([...args, '--dry-run'], env, 3);
    const seen = counts(dry, 'checking NEXUS import');
    expect((seen.at(-1) as number[])[0]).toBe((seen.at(-1) as number[])[1]);
    const quiet = await onTerminal([...args, '--json'], env, 3);
    expect(quiet).not.toMatch(/importing NEXUS/);
    expect(quiet).toMatch(/"unreadable_credentials"/);
    // Imported already: through a pipe, a second run prints its summary and nothing on stderr.
    const piped = await runOrgvault(args, env);
    expect(piped.code, piped.stderr).toBe(3);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/already in orgvault/);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('importNexus onProgress on %s', (_name, backend) => {
  it('is told 0 first, then once per item up to the total; items are named by ids only', async () => {
    const { vault, close } = await freshVault(backend);
    const fixture = copyFixture('v2-org-scoped');
    try {
      const calls: [number, number, string][] = [];
      const options = {
        registry: fixture.registry,
        credentials: fixture.credentials,
        apiKeys: fixture.apiKeys,
        nexusKey: fixture.expected.nexus_encryption_key,
        onProgress: (done: number, total: number, item: string) => calls.push([done, total, item]),
      };
      const result = await importNexus(vault, options);
      const total = (calls[0] as [number, number, string])[1];
      expect(calls.map((c) => c[0])).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
      expect(calls.every((c) => c[1] === total)).toBe(true);
      const r = result.report;
      expect(total).toBe(
        r.organizations + r.modules + r.credentials + r.api_keys + countPresent(result.alreadyPresent),
      );
      expect(calls.filter((c) => c[2].startsWith('credentials ')).length).toBe(r.credentials);
      const text = JSON.stringify(calls);
      for (const c of fixture.expected.credentials) {
        for (const value of Object.values(c.credentials)) expect(text).not.toContain(value);
      }
    } finally {
      fixture.dispose();
      await close();
    }
  });
});

const countPresent = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);

describe('progress of npm run bench -- --scale: the fill counted on a terminal, nothing on stderr otherwise', () => {
  // The smallest scale run (50 orgs measured, filled to 60) with --quick: about 30 s on a loaded machine.
  const scale = ['--import', 'tsx', join(ROOT, 'bench/run.ts'), '--scale=60', '--quick'];
  const bench = (flags: string) => [process.execPath, ...scale, flags].join(' ');

  it('on a terminal both fills are counted to their totals before the table', async () => {
    const options = { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TERM: 'xterm' } };
    const { stdout } = await run('script', ['-qec', bench(''), '/dev/null'], options);
    expect(counts(stdout, 'filling 50 orgs').at(-1)).toEqual([50, 50]);
    expect(counts(stdout, 'filling to 60 orgs').at(-1)).toEqual([10, 10]);
    expect(stdout.indexOf('filling to 60 orgs')).toBeLessThan(stdout.indexOf('orgvault bench --scale'));
    expect(stdout).toMatch(/modules\.get\s+[\d,]+\s+[\d,]+/);
  });

  it('with --json through a pipe: stderr stays empty and the last line is the JSON summary', async () => {
    const [cmd, ...args] = bench('--json').split(' ');
    const { stdout, stderr } = await run(cmd as string, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stderr).toBe('');
    const last = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      module_rows: { small: number; large: number };
      ops: Record<string, { small: { ops_per_s: number }; large: { ops_per_s: number } }>;
    };
    expect(last.module_rows).toEqual({ small: 5000, large: 6000 });
    expect(last.ops['modules.get']?.large.ops_per_s).toBeGreaterThan(0);
  });
});
