import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault, type Vault } from '../../src/vault.js';
import { httpModule } from '../agent/support/fixtures.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import { auditTrail } from '../support/audit-trail.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { rpcError } from './support.js';

const ROOT = join(import.meta.dirname, '../..');
const MOD = 'crm/widgets';
const SECRET = 'sk-stdio-0123456789abcdef';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] orgvault mcp --org (stdio)`, () => {
    let db: FreshDatabase;
    let vault: Vault;
    let server: ModuleServer;
    let env: Record<string, string>;

    beforeEach(async () => {
      server = await new ModuleServer()
        .route('GET', '/items/7', (req, res) => json(res, 200, { key_seen: req.headers['x-api-key'] }))
        .start();
      db = await backend.fresh();
      vault = await openVault({ ...db.options, warn: () => {} });
      env = {
        ORGVAULT_DATABASE_URL: db.options.databaseUrl,
        ORGVAULT_DATA_DIR: db.options.dataDir,
        ORGVAULT_MASTER_KEY: db.options.masterKey,
        ORGVAULT_HTTP_ALLOW_PRIVATE: '1',
        ...(db.options.databaseOwnerUrl ? { ORGVAULT_DATABASE_OWNER_URL: db.options.databaseOwnerUrl } : {}),
      };
      for (const orgId of ['stdio-a', 'stdio-b']) {
        await vault.system.createOrg(orgId);
        await vault.org(orgId).modules.install(
          httpModule(MOD, server.url(), {
            actions: { [orgId === 'stdio-a' ? 'get_item' : 'other']: { method: 'GET', path: '/items/{id}' } },
          }),
        );
      }
      await vault.org('stdio-a').credentials.store(MOD, { api_key: SECRET });
    });
    afterEach(async () => {
      await vault.close();
      await db.dispose();
      await server.stop();
    });

    it("serves the org's tools over stdio: its own list, its credential injected, unknown names refused", async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'mcp', '--org', 'stdio-a'],
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d) => {
        stderr += String(d);
      });
      const client = new Client({ name: 'orgvault-stdio-test', version: '1.0.0' });
      await client.connect(transport);
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['crm__widgets__get_item']);
        const res = await client.callTool({ name: 'crm__widgets__get_item', arguments: { id: 7 } });
        expect(res.isError).toBeFalsy();
        expect(server.seen.map((s) => s.headers['x-api-key'])).toEqual([SECRET]);
        expect(JSON.stringify(res)).not.toContain(SECRET);
        expect(res.structuredContent).toEqual({ status: 200, body: { key_seen: '[redacted]' } });
        const unknown = await rpcError(
          client.callTool({ name: 'crm__widgets__other', arguments: { id: 7 } }),
        );
        expect(unknown.code).toBe(-32602);
      } finally {
        await client.close();
      }
      expect(stderr).toContain('serving org "stdio-a"');
      const [event] = await auditTrail(vault, 'stdio-a');
      expect(event).toMatchObject({
        action: 'module.invoke',
        outcome: 'success',
        details: { action: 'get_item' },
      });
    });

    it('an unknown org is a one-line error and exit code 1, with nothing on stdout', async () => {
      const r = await runOrgvault(['mcp', '--org', 'no-such-org'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('no-such-org');
    });
  });
}
