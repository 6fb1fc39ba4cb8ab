import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest, WEATHER } from '../support/manifests.js';

/** The core CLI commands, run as a user would: a child process, env only, exit codes checked; a fresh database per test. */
describe('orgvault CLI (core commands)', () => {
  let db: FreshDatabase;
  let env: Record<string, string>;
  beforeEach(async () => {
    db = await sqliteBackend.fresh();
    env = {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      ORGVAULT_MASTER_KEY: db.options.masterKey,
    };
  });
  afterEach(async () => db.dispose());

  it('--help explains the commands and the environment, exit 0', async () => {
    const r = await runOrgvault(['--help'], env);
    expect(r.code).toBe(0);
    for (const word of ['migrate', 'orgs', 'modules', 'master-key', 'ORGVAULT_MASTER_KEY', 'Exit codes']) {
      expect(r.stdout).toContain(word);
    }
  });

  it('migrate is idempotent', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runOrgvault(['migrate', '--json'], env);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, engine: 'sqlite' });
    }
  });

  it('orgs create and list; a duplicate is a one-line error with exit 1', async () => {
    const created = await runOrgvault(['orgs', 'create', 'acme', '--name', 'Acme Corp'], env);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ org_id: 'acme' });

    const list = await runOrgvault(['orgs', 'list', '--json'], env);
    expect(list.code).toBe(0);
    const orgs = JSON.parse(list.stdout).organizations as { org_id: string; name: string }[];
    expect(orgs.map((o) => o.org_id)).toEqual(['acme', 'default']);
    expect(orgs.find((o) => o.org_id === 'acme')?.name).toBe('Acme Corp');

    const dup = await runOrgvault(['orgs', 'create', 'acme'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toContain('already exists');
    expect(dup.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a malformed org id with exit 1 and no stack trace', async () => {
    const r = await runOrgvault(['orgs', 'create', '../etc'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^orgvault: invalid org id/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad usage exits 2', async () => {
    expect((await runOrgvault(['orgs', 'frobnicate'], env)).code).toBe(2);
    expect((await runOrgvault(['modules', 'list'], env)).code).toBe(2); // --org is required
    expect((await runOrgvault(['no-such-command'], env)).code).toBe(2);
  });

  it('modules list shows only the named org, as a table or JSON', async () => {
    const v = await openVault({ ...db.options, warn: () => {} });
    await v.system.createOrg('acme');
    await v.org().modules.install(manifest(WEATHER, { version: '3.1.4' }));
    await v.close();
    const acme = await runOrgvault(['modules', 'list', '--org', 'acme', '--json'], env);
    expect(acme.code).toBe(0);
    expect(JSON.parse(acme.stdout)).toEqual({ modules: [] });
    const def = await runOrgvault(['modules', 'list', '--org', 'default', '--json'], env);
    const modules = JSON.parse(def.stdout).modules as Record<string, unknown>[];
    expect(modules).toHaveLength(1);
    expect(modules[0]).toMatchObject({
      org_id: 'default',
      module_id: WEATHER,
      version: '3.1.4',
      status: 'installed',
    });
    const table = await runOrgvault(['modules', 'list', '--org', 'default'], env);
    expect(table.stdout).toMatch(/MODULE_ID\s+VERSION\s+STATUS/);
    expect(table.stdout).toContain(WEATHER);
    const missing = await runOrgvault(['modules', 'list', '--org', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });

  it('master-key rotate re-wraps org keys so the old key can be dropped', async () => {
    const v = await openVault({ ...db.options, warn: () => {} });
    await v.org().modules.install(manifest(WEATHER));
    await v.org().credentials.store(WEATHER, { api_key: 'rotate-me-please' });
    await v.close();
    const newKey = `next:${Buffer.alloc(32, 7).toString('base64')}`;
    const both = { ...env, ORGVAULT_MASTER_KEY: `${newKey},${env.ORGVAULT_MASTER_KEY}` };
    const r = await runOrgvault(['master-key', 'rotate', '--json'], both);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ rewrapped: 1, master_key_id: 'next' });
    const after = await openVault({ ...db.options, masterKey: newKey, warn: () => {} });
    expect(await after.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'rotate-me-please' });
    await after.close();
  });

  it('refuses to start in production without a master key', async () => {
    const r = await runOrgvault(['orgs', 'list'], {
      ORGVAULT_DATABASE_URL: db.options.databaseUrl,
      ORGVAULT_DATA_DIR: db.options.dataDir,
      NODE_ENV: 'production',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ORGVAULT_MASTER_KEY');
  });
});

describe('orgvault CLI (usage)', () => {
  it('--version prints the package version; --json is accepted by every command that prints JSON', async () => {
    const version = await runOrgvault(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const db = await sqliteBackend.fresh();
    try {
      const env = {
        ORGVAULT_DATABASE_URL: db.options.databaseUrl,
        ORGVAULT_DATA_DIR: db.options.dataDir,
        ORGVAULT_MASTER_KEY: db.options.masterKey,
      };
      const created = await runOrgvault(['orgs', 'create', 'acme', '--json'], env);
      expect(created.code).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ org_id: 'acme', role: 'owner' });
      const boot = await runOrgvault(['bootstrap', '--json'], env);
      expect(boot.code).toBe(1); // acme's owner key is a usable key: bootstrap is over
      expect(boot.stderr).not.toContain('unknown option');
    } finally {
      await db.dispose();
    }
  });
});
