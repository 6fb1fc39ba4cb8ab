import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { openVault } from '../../src/index.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';
import { copyFixture, type FixtureCopy, sortedRefs } from './nexus-fixtures.js';
import { snapshotTarget } from './target-snapshot.js';

const backends = await selectedBackends();
const ENV_NAMES = [
  'ORGVAULT_DATABASE_URL',
  'ORGVAULT_DATABASE_OWNER_URL',
  'ORGVAULT_DATA_DIR',
  'ORGVAULT_MASTER_KEY',
] as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Points the CLI's environment at a fresh database, as an operator's shell would. */
function useDatabase(db: FreshDatabase): void {
  const saved = ENV_NAMES.map((n) => [n, process.env[n]] as const);
  process.env.ORGVAULT_DATABASE_URL = db.options.databaseUrl;
  process.env.ORGVAULT_DATA_DIR = db.options.dataDir;
  process.env.ORGVAULT_MASTER_KEY = db.options.masterKey;
  // PostgreSQL: migrations run as the owner role, as in a real deployment.
  if (db.options.databaseOwnerUrl) process.env.ORGVAULT_DATABASE_OWNER_URL = db.options.databaseOwnerUrl;
  else delete process.env.ORGVAULT_DATABASE_OWNER_URL;
  cleanups.push(() => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  });
}

/** Runs the CLI in this process and captures what it prints. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    // runCli reads process.exitCode: do not let one run's code leak into the next (or into vitest).
    process.exitCode = undefined;
  }
}

const argsFor = (f: FixtureCopy, extra: string[] = []) => [
  'import-nexus',
  '--registry',
  f.registry,
  '--credentials',
  f.credentials,
  ...(f.apiKeys ? ['--api-keys', f.apiKeys] : []),
  '--nexus-key',
  f.expected.nexus_encryption_key,
  ...extra,
];

describe.each(backends.map((b) => [b.name, b] as const))('orgvault import-nexus on %s', (_name, backend) => {
  async function prepare(generation: 'v1-single-tenant' | 'v2-org-scoped') {
    const fixture = copyFixture(generation);
    cleanups.push(() => fixture.dispose());
    const db = await backend.fresh();
    cleanups.push(() => db.dispose());
    useDatabase(db);
    return { fixture, db };
  }

  it('a dry run after the unreadable credentials were entered again no longer asks for them', async () => {
    const { fixture, db } = await prepare('v2-org-scoped');
    expect((await cli(argsFor(fixture))).code).toBe(3);
    const unreadable = sortedRefs(fixture.expected.unreadable_credentials);
    expect(unreadable.length).toBeGreaterThan(0);
    const before = await cli(argsFor(fixture, ['--dry-run']));
    expect(before.stdout).toMatch(/NOT imported/);
    const vault = await openVault({ ...db.options, warn: () => {} });
    for (const ref of unreadable) {
      const org = vault.org(ref.org_id);
      if ((await org.modules.get(ref.module_id)) === null) {
        const [category = '', platform = ''] = ref.module_id.split('/');
        await org.modules.install({ name: platform, category, platform, version: '1.0.0' });
      }
      await org.credentials.store(ref.module_id, { api_key: 'entered-again' });
    }
    await vault.close();
    const after = await cli(argsFor(fixture, ['--dry-run']));
    expect(after.stdout).not.toMatch(/NOT imported/);
    expect(after.stdout).toContain(
      `unreadable in NEXUS, already in orgvault (left as they are): ${unreadable.map((r) => `${r.org_id}:${r.module_id}`).join(', ')}`,
    );
  });

  it('a well-formed but wrong --nexus-key: the summary says the key is probably wrong', async () => {
    const { fixture } = await prepare('v2-org-scoped');
    const wrongKey = Buffer.alloc(32, 9).toString('base64url');
    const args = argsFor(fixture).map((a) => (a === fixture.expected.nexus_encryption_key ? wrongKey : a));
    const { code, stdout } = await cli(args);
    expect(code).toBe(3);
    expect(stdout).toMatch(
      /did not open: the --nexus-key is probably not the MODULE_ENCRYPTION_KEY NEXUS used/,
    );
    // The right key gives no such line.
    const right = await cli(argsFor(fixture, ['--dry-run']));
    expect(right.stdout).not.toMatch(/probably not/);
  });

  it('prints exactly the documented JSON report and exits 3 when some credentials are unreadable', async () => {
    const { fixture } = await prepare('v2-org-scoped');
    const { code, stdout } = await cli(argsFor(fixture, ['--json']));
    expect(code).toBe(3);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual([
      'organizations',
      'modules',
      'credentials',
      'api_keys',
      'restored_modules',
      'unreadable_credentials',
      'dev_key_credentials',
    ]);
    expect(report).toEqual({
      organizations: 3,
      modules: fixture.expected.modules.length + 3,
      credentials: fixture.expected.credentials.length,
      api_keys: fixture.expected.api_keys.length,
      restored_modules: [
        { org_id: 'acme', module_id: 'gaming/clashroyale' },
        { org_id: 'acme', module_id: 'weather/openweather' },
        { org_id: 'default', module_id: 'navigation/mapbox' },
      ],
      unreadable_credentials: sortedRefs(fixture.expected.unreadable_credentials),
      dev_key_credentials: sortedRefs(fixture.expected.dev_key_credentials),
    });
    // Decrypted values never reach the report.
    for (const c of fixture.expected.credentials) {
      for (const v of Object.values(c.credentials)) expect(stdout).not.toContain(v);
    }
  });

  it('exits 0 when every credential came across, and a second run says nothing is new', async () => {
    const { fixture } = await prepare('v1-single-tenant');
    const db = new Database(fixture.credentials);
    for (const u of fixture.expected.unreadable_credentials) {
      db.prepare('DELETE FROM credentials WHERE module_id = ?').run(u.module_id);
    }
    db.close();
    const first = await cli(argsFor(fixture));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /imported 0 organization\(s\), 6 module\(s\), 4 credential\(s\), 0 API key\(s\)/,
    );
    expect(first.stdout).toMatch(/EXPOSED .*default:navigation\/mapbox/);
    const second = await cli(argsFor(fixture));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/nothing new to import/);
  });

  it('--dry-run reports and writes nothing', async () => {
    const { fixture, db } = await prepare('v2-org-scoped');
    const vault = await openVault({ ...db.options, warn: () => {} });
    const before = await snapshotTarget(vault);
    const dry = await cli(argsFor(fixture, ['--dry-run', '--json']));
    expect(dry.code).toBe(3);
    expect(JSON.parse(dry.stdout).credentials).toBe(fixture.expected.credentials.length);
    expect(await snapshotTarget(vault)).toEqual(before);
    await vault.close();
  });

  it('exits 1 with one line on stderr for a bad key, a missing file or a corrupt row', async () => {
    const { fixture } = await prepare('v2-org-scoped');
    const badKey = await cli([...argsFor(fixture).slice(0, -1), 'not-a-fernet-key']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(
      /^orgvault: NEXUS import: NEXUS key \(--nexus-key\): Fernet key must decode to 32 bytes/,
    );
    expect(badKey.stderr.trim().split('\n')).toHaveLength(1);

    const missing = await cli(argsFor({ ...fixture, registry: `${fixture.dir}/nope.db` }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot open module registry/);

    const swapped = await cli(argsFor({ ...fixture, registry: fixture.credentials }));
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/has no "modules" table: is it a NEXUS file\?/);

    const db = new Database(fixture.apiKeys as string);
    db.prepare("UPDATE api_keys SET role = 'superuser' WHERE rowid = 1").run();
    db.close();
    const corrupt = await cli(argsFor(fixture));
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/unknown role "superuser"/);
  });

  it('exits 2 on bad usage (a required option missing)', async () => {
    const { fixture } = await prepare('v1-single-tenant');
    const { code } = await cli(['import-nexus', '--registry', fixture.registry]);
    expect(code).toBe(2);
  });
});

describe('orgvault import-nexus as a process', () => {
  it('sets the process exit code to 3 for unreadable credentials', async () => {
    const backend = backends.find((b) => b.name === 'sqlite') ?? backends[0];
    if (!backend) throw new Error('no backend');
    const fixture = copyFixture('v1-single-tenant');
    cleanups.push(() => fixture.dispose());
    const db = await backend.fresh();
    cleanups.push(() => db.dispose());
    const env = {
      ...process.env,
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATABASE_OWNER_URL: '',
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: db.options.masterKey,
    };
    const result = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...argsFor(fixture, ['--json'])],
      { env },
    ).then(
      () => ({ code: 0 }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(result.code).toBe(3);
    expect(JSON.parse((result as { stdout: string }).stdout).unreadable_credentials).toEqual(
      sortedRefs(fixture.expected.unreadable_credentials),
    );
  });
});
