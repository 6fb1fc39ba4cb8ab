import { spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, sqliteBackend } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '../..');

/** bootstrap, orgs create, keys, audit verify and serve, run as a user would (child processes). */
describe('orgvault CLI (auth commands)', () => {
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

  const verify = async (apiKey: string) => {
    const vault = await openVault({ ...db.options, warn: () => {} });
    try {
      return await vault.auth.verify(apiKey);
    } finally {
      await vault.close();
    }
  };

  it('bootstrap prints the first owner key once; a second bootstrap is exit 1 with one line', async () => {
    const first = await runOrgvault(['bootstrap'], env);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(Object.keys(out).sort()).toEqual(['api_key', 'key_id', 'org_id', 'role']);
    expect(out).toMatchObject({ org_id: 'default', role: 'owner' });
    expect(await verify(out.api_key)).toMatchObject({ ok: true, orgId: 'default', role: 'owner' });
    const second = await runOrgvault(['bootstrap'], env);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/already bootstrapped/);
  });

  it('orgs create prints {org_id, api_key, key_id, role: "owner"} and the key works', async () => {
    const r = await runOrgvault(['orgs', 'create', 'acme', '--name', 'Acme'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['api_key', 'key_id', 'org_id', 'role']);
    expect(out).toMatchObject({ org_id: 'acme', role: 'owner' });
    expect(await verify(out.api_key)).toMatchObject({ ok: true, orgId: 'acme', keyId: out.key_id });
  });

  it('keys create, list, rotate, revoke; usage errors are exit 2, user errors exit 1', async () => {
    await runOrgvault(['orgs', 'create', 'acme'], env);
    const created = await runOrgvault(
      ['keys', 'create', '--org', 'acme', '--role', 'operator', '--name', 'ci'],
      env,
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ org_id: 'acme', role: 'operator', name: 'ci' });

    const list = await runOrgvault(['keys', 'list', '--org', 'acme', '--json'], env);
    const listed = JSON.parse(list.stdout).api_keys;
    expect(listed.map((k: { key_id: string }) => k.key_id)).toContain(key.key_id);
    expect(list.stdout).not.toContain(key.api_key);
    expect(list.stdout).not.toContain('hash');

    const rotated = await runOrgvault(['keys', 'rotate', key.key_id, '--grace-seconds', '0'], env);
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.stdout);
    expect(fresh).toMatchObject({ role: 'operator', rotated_from: key.key_id });
    expect(await verify(key.api_key)).toMatchObject({ ok: false });
    expect(await verify(fresh.api_key)).toMatchObject({ ok: true });

    const revoked = await runOrgvault(['keys', 'revoke', fresh.key_id], env);
    expect(revoked.code).toBe(0);
    expect(await verify(fresh.api_key)).toEqual({ ok: false, code: 'REVOKED' });

    expect((await runOrgvault(['keys', 'revoke', 'ffffffffffffffff'], env)).code).toBe(1);
    expect((await runOrgvault(['keys', 'create', '--org', 'acme'], env)).code).toBe(2);
    const badRole = await runOrgvault(['keys', 'create', '--org', 'acme', '--role', 'god'], env);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/role/);
  });

  it('keys create --expires-at: a future time is kept, a past one is exit 1; keys list prints a table', async () => {
    await runOrgvault(['orgs', 'create', 'acme'], env);
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await runOrgvault(
      ['keys', 'create', '--org', 'acme', '--role', 'viewer', '--expires-at', at],
      env,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).expires_at).toBe(at);
    const past = await runOrgvault(
      ['keys', 'create', '--org', 'acme', '--role', 'viewer', '--expires-at', '2001-01-01T00:00:00Z'],
      env,
    );
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/expires_at/);
    const table = await runOrgvault(['keys', 'list', '--org', 'acme'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^KEY_ID\s+ROLE\s+STATUS/);
    expect(table.stdout).toContain(at);
    expect((await runOrgvault(['serve', '--port', 'http'], env)).code).toBe(2); // a malformed option value is bad usage
  });

  it('audit verify: exit 0 on an intact chain, exit 1 after one row is edited by SQL', async () => {
    await runOrgvault(['orgs', 'create', 'acme'], env);
    await runOrgvault(['keys', 'create', '--org', 'acme', '--role', 'viewer'], env);
    const ok = await runOrgvault(['audit', 'verify', '--org', 'acme', '--json'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ org_id: 'acme', ok: true, events: 3 });

    const raw = new BetterSqlite3(db.options.databaseUrl.slice('sqlite:'.length));
    raw
      .prepare("UPDATE audit_events SET actor_key_id = 'someone-else' WHERE org_id = 'acme' AND seq = 2")
      .run();
    raw.close();
    const broken = await runOrgvault(['audit', 'verify', '--org', 'acme', '--json'], env);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, broken_at: 2 });
    expect(broken.stderr).toMatch(/broken at event 2/);
    expect((await runOrgvault(['audit', 'verify', '--org', 'nope'], env)).code).toBe(1);
  });

  it('serve listens, answers, and exits 0 on SIGTERM after closing the database', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--host', '127.0.0.1', '--port', '0'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 20_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /"address":"(http:\/\/[^"]+)"/.exec(stdout);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const health = await fetch(`${address}/health`);
    expect(health.status).toBe(200);
    const boot = await fetch(`${address}/v1/bootstrap`, { method: 'POST' });
    expect(boot.status).toBe(201);
    const { api_key } = (await boot.json()) as { api_key: string };
    const me = await fetch(`${address}/v1/me`, { headers: { 'x-api-key': api_key } });
    expect(me.status).toBe(200);
    expect(stdout).not.toContain(api_key);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('shutting down');
  });
});
