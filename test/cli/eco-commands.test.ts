import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';
import { type CliResult, runOrgvault } from '../support/cli.js';
import { manifest, WEATHER } from '../support/manifests.js';
import { rawQuery, rawSql } from '../support/raw-sql.js';

const backends = await selectedBackends();
const SECRET = 'sk-cli-secret-value-123';

/** One line on stderr, the documented exit code, no stack trace, no secret. */
function expectOneLine(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
}

/** Every table with an org_id column, found in the database itself (not from orgvault's own list). */
async function orgTables(db: FreshDatabase): Promise<string[]> {
  const sqlite = db.options.databaseUrl.startsWith('sqlite:');
  const rows = await rawQuery<{ name: string }>(
    db,
    'default',
    sqlite
      ? "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'org_id'"
      : "SELECT table_name AS name FROM information_schema.columns WHERE column_name = 'org_id' AND table_schema = current_schema()",
    [],
  );
  return rows.map((r) => r.name).sort();
}

describe.each(backends.map((b) => [b.name, b] as const))(
  'orgvault CLI: modules, credentials, orgs delete on %s',
  (_n, backend) => {
    let db: FreshDatabase;
    let env: Record<string, string>;
    let dir: string;
    beforeEach(async () => {
      db = await backend.fresh();
      dir = mkdtempSync(join(tmpdir(), 'orgvault-cli-'));
      env = {
        ORGVAULT_DATABASE_URL: db.options.databaseUrl,
        ORGVAULT_DATA_DIR: db.options.dataDir,
        ORGVAULT_MASTER_KEY: db.options.masterKey,
        ...(db.options.databaseOwnerUrl ? { ORGVAULT_DATABASE_OWNER_URL: db.options.databaseOwnerUrl } : {}),
      };
    });
    afterEach(async () => db.dispose());

    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('modules install, disable, enable, uninstall; bad input is one line with exit 1 and changes nothing', async () => {
      expect((await runOrgvault(['orgs', 'create', 'acme'], env)).code).toBe(0);
      const good = file('m.json', JSON.stringify(manifest(WEATHER)));
      const installed = await runOrgvault(['modules', 'install', '--org', 'acme', '--file', good], env);
      expect(installed.code, installed.stderr).toBe(0);
      expect(JSON.parse(installed.stdout)).toMatchObject({
        org_id: 'acme',
        module_id: WEATHER,
        status: 'installed',
      });

      const disabled = await runOrgvault(['modules', 'disable', '--org', 'acme', WEATHER], env);
      expect(JSON.parse(disabled.stdout)).toMatchObject({ changed: true, status: 'disabled' });
      const enabled = await runOrgvault(['modules', 'enable', '--org', 'acme', WEATHER], env);
      expect(JSON.parse(enabled.stdout)).toMatchObject({ changed: true, status: 'installed' });

      expectOneLine(
        await runOrgvault(['modules', 'install', '--org', 'acme', '--file', join(dir, 'absent.json')], env),
        1,
        /^orgvault: cannot read .*absent\.json: no such file$/m,
      );
      expectOneLine(
        await runOrgvault(
          ['modules', 'install', '--org', 'acme', '--file', file('bad.json', '{"name":')],
          env,
        ),
        1,
        /not valid JSON/,
      );
      expectOneLine(
        await runOrgvault(
          ['modules', 'install', '--org', 'acme', '--file', file('v.json', '{"name":"x"}')],
          env,
        ),
        1,
        /invalid manifest/,
      );
      expectOneLine(
        await runOrgvault(['modules', 'enable', '--org', 'acme', 'demo/absent'], env),
        1,
        /not installed/,
      );
      expectOneLine(
        await runOrgvault(['modules', 'uninstall', '--org', 'globex', WEATHER], env),
        1,
        /globex/,
      );
      expect((await runOrgvault(['modules', 'install', '--org', 'acme'], env)).code).toBe(2);

      const gone = await runOrgvault(['modules', 'uninstall', '--org', 'acme', WEATHER], env);
      expect(JSON.parse(gone.stdout)).toMatchObject({ changed: true });
      const v = await openVault({ ...db.options, warn: () => {} });
      expect(await v.org('acme').modules.list()).toEqual([]);
      await v.close();
    });

    it('credentials set from a file or stdin, never from argv; delete; bad input changes nothing', async () => {
      expect((await runOrgvault(['orgs', 'create', 'acme'], env)).code).toBe(0);
      const m = file('m.json', JSON.stringify(manifest(WEATHER)));
      expect((await runOrgvault(['modules', 'install', '--org', 'acme', '--file', m], env)).code).toBe(0);
      const creds = file('c.json', JSON.stringify({ api_key: SECRET }));

      const set = await runOrgvault(
        ['credentials', 'set', '--org', 'acme', WEATHER, '--from-file', creds],
        env,
      );
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({ org_id: 'acme', module_id: WEATHER, fields: ['api_key'] });
      expect(set.stdout).not.toContain(SECRET);
      const viaStdin = await runOrgvault(
        ['credentials', 'set', '--org', 'acme', WEATHER, '--stdin'],
        env,
        undefined,
        JSON.stringify({ api_key: `${SECRET}-2`, region: 'eu' }),
      );
      expect(viaStdin.code, viaStdin.stderr).toBe(0);
      const v = await openVault({ ...db.options, warn: () => {} });
      expect(await v.org('acme').credentials.retrieve(WEATHER)).toEqual({
        api_key: `${SECRET}-2`,
        region: 'eu',
      });

      // A value on the command line is refused before anything is read or stored.
      expectOneLine(
        await runOrgvault(['credentials', 'set', '--org', 'acme', WEATHER, `api_key=${SECRET}`], env),
        2,
        /never taken as arguments/,
      );
      expectOneLine(
        await runOrgvault(
          ['credentials', 'set', '--org', 'acme', WEATHER, '--from-file', creds, '--stdin'],
          env,
        ),
        2,
        /exactly one of --from-file FILE or --stdin/,
      );
      expectOneLine(
        await runOrgvault(
          ['credentials', 'set', '--org', 'acme', WEATHER, '--from-file', join(dir, 'none')],
          env,
        ),
        1,
        /no such file/,
      );
      expectOneLine(
        await runOrgvault(
          ['credentials', 'set', '--org', 'acme', WEATHER, '--stdin'],
          env,
          undefined,
          `{"api_key":"${SECRET}"`,
        ),
        1,
        /stdin is not valid JSON/,
      );
      expectOneLine(
        await runOrgvault(['credentials', 'set', '--org', 'acme', 'demo/absent', '--from-file', creds], env),
        1,
        /not installed|not found/,
      );
      expect(await v.org('acme').credentials.retrieve(WEATHER)).toEqual({
        api_key: `${SECRET}-2`,
        region: 'eu',
      });

      const deleted = await runOrgvault(['credentials', 'delete', '--org', 'acme', WEATHER], env);
      expect(deleted.code).toBe(0);
      expect(await v.org('acme').credentials.retrieve(WEATHER)).toBeNull();
      expectOneLine(
        await runOrgvault(['credentials', 'delete', '--org', 'acme', WEATHER], env),
        1,
        /no credentials/,
      );
      await v.close();
    });

    it('orgs delete --yes destroys the data keys, then every row of the org; the other org is untouched', async () => {
      const v = await openVault({ ...db.options, warn: () => {} });
      for (const org of ['acme', 'globex']) {
        await v.system.createOrg(org);
        await v.org(org).modules.install(manifest(WEATHER));
        await v.org(org).credentials.store(WEATHER, { api_key: `${SECRET}-${org}` });
        await v.org(org).keys.create({ role: 'admin' });
        await v
          .org(org)
          .conversations.invoke('c1', { moduleId: 'demo/echo', action: 'echo', input: {} })
          .catch(() => {});
      }
      await v.close();
      const [sealed] = await rawQuery<Record<string, unknown>>(
        db,
        'acme',
        'SELECT * FROM credentials WHERE org_id = ? AND module_id = ?',
        ['acme', WEATHER],
      );
      expect(sealed).toBeDefined();

      expectOneLine(await runOrgvault(['orgs', 'delete', 'acme'], env), 2, /--yes/);
      expectOneLine(await runOrgvault(['orgs', 'delete', 'nobody', '--yes'], env), 1, /does not exist/);
      expectOneLine(
        await runOrgvault(['orgs', 'delete', 'default', '--yes'], env),
        1,
        /default organization cannot be deleted/,
      );

      const r = await runOrgvault(['orgs', 'delete', 'acme', '--yes'], env);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ org_id: 'acme', deleted: true, data_keys_destroyed: 1 });
      expect(out.rows_deleted).toMatchObject({ organizations: 1, modules: 1, credentials: 1 });
      expect(out.rows_deleted.api_keys).toBe(1);

      for (const table of await orgTables(db)) {
        const left = await rawQuery(db, 'acme', `SELECT org_id FROM ${table} WHERE org_id = ?`, ['acme']);
        expect(left, table).toEqual([]);
      }
      const after = await openVault({ ...db.options, warn: () => {} });
      expect((await after.system.listOrgs()).map((o) => o.orgId)).toEqual(['default', 'globex']);
      expect(await after.org('globex').credentials.retrieve(WEATHER)).toEqual({
        api_key: `${SECRET}-globex`,
      });

      // The old ciphertext, put back under a recreated org of the same id, cannot be opened.
      await after.system.createOrg('acme');
      await after.org('acme').modules.install(manifest(WEATHER));
      const columns = Object.keys(sealed ?? {});
      await rawSql(
        db,
        'acme',
        `INSERT INTO credentials (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        // PostgreSQL hands JSON columns back parsed: they go back as text.
        columns.map((c) => {
          const value = sealed?.[c];
          const plain =
            value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date;
          return plain ? value : JSON.stringify(value);
        }),
      );
      await expect(after.org('acme').credentials.retrieve(WEATHER)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
      await after.close();
    });
  },
);
