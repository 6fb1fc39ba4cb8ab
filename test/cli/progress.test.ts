import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend, testMasterKey } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest, WEATHER } from '../support/manifests.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

/** Runs orgvault under a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
async function onTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const command = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args].join(' ');
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
  });
  return stdout;
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
