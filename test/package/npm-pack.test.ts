import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testMasterKey } from '../support/backends.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

const SCRIPT = `
import { openVault, createInitialState } from 'orgvault';
import { OrgvaultSaver } from 'orgvault/langgraph';
const vault = await openVault({ dataDir: process.argv[2] });
await vault.system.createOrg('acme', { name: 'Acme' });
const acme = vault.org('acme');
await acme.modules.install({ name: 'openweather', category: 'weather', platform: 'openweather', version: '1.0.0' });
await acme.credentials.store('weather/openweather', { api_key: 'sk-packed' });
const back = await acme.credentials.retrieve('weather/openweather');
const other = await vault.org().credentials.retrieve('weather/openweather');
const state = createInitialState('c1', { orgId: 'acme' });
await vault.close();
console.log(JSON.stringify({ back, other, orgId: state.orgId, saver: typeof OrgvaultSaver }));
`;

describe('the npm package', () => {
  it('packs with its build, installs from the tarball into another project, and imports and runs', async () => {
    const work = mkdtempSync(join(tmpdir(), 'orgvault-pack-'));
    // prepack builds dist/ afresh; --json lists what went in.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const paths = packed?.files.map((f) => f.path) ?? [];
    for (const p of ['dist/index.js', 'dist/index.d.ts', 'dist/langgraph/index.js', 'dist/cli/main.js']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);

    const project = join(work, 'app');
    cpSync(join(ROOT, 'test/package/fixture'), project, { recursive: true });
    // Only the npm registry is reachable and better-sqlite3 would compile for minutes: install from
    // the local cache where it can (--prefer-offline) without install scripts, then reuse this
    // checkout's build of the same better-sqlite3 version.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        join(work, packed?.filename ?? ''),
        '@langchain/core@1.4.0',
        '@langchain/langgraph-checkpoint@1.2.2',
      ],
      { cwd: project },
    );
    cpSync(
      join(ROOT, 'node_modules/better-sqlite3/build'),
      join(project, 'node_modules/better-sqlite3/build'),
      { recursive: true },
    );
    writeFileSync(join(project, 'main.mjs'), SCRIPT);
    const env = { ...process.env, ORGVAULT_MASTER_KEY: testMasterKey(), ORGVAULT_LOG_LEVEL: 'silent' };
    const out = await run(process.execPath, ['main.mjs', join(work, 'data')], { cwd: project, env });
    expect(JSON.parse(out.stdout)).toEqual({
      back: { api_key: 'sk-packed' },
      other: null,
      orgId: 'acme',
      saver: 'function',
    });
    // The bin is installed too.
    const help = await run(join(project, 'node_modules/.bin/orgvault'), ['--help'], { cwd: project, env });
    expect(help.stdout).toMatch(/Usage: orgvault/);
  }, 600_000);
});
