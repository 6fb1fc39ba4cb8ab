import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_TABLES } from '../../src/storage/postgres/migrations.js';
import { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openVault, type Vault } from '../../src/vault.js';
import {
  PGBOUNCER_BIN,
  PGBOUNCER_REQUIRED,
  PGBOUNCER_SKIP_REASON,
  type RunningPgBouncer,
  startPgBouncer,
} from '../support/pgbouncer.js';
import {
  createIsolatedSchema,
  freshPostgresDatabase,
  type IsolatedSchema,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type PostgresDatabase,
} from '../support/postgres.js';
import { type ServeNode, startNode } from '../support/serve-node.js';
import { seedTwoOrgs } from './seed.js';

const runnable = POSTGRES_URL !== undefined && PGBOUNCER_BIN !== undefined;
const reason = POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : PGBOUNCER_SKIP_REASON;

// A skip in CI would read as a pass: there a missing pgbouncer is a failure.
describe.runIf(PGBOUNCER_REQUIRED && PGBOUNCER_BIN === undefined)('PgBouncer in CI', () => {
  it('pgbouncer is installed (.ci/run installs it)', () => {
    expect(PGBOUNCER_BIN, PGBOUNCER_SKIP_REASON).toBeDefined();
  });
});

describe.skipIf(!runnable)(
  `row-level security through a transaction-pooling PgBouncer${runnable ? '' : ` (${reason})`}`,
  () => {
    let schema: IsolatedSchema;
    let bouncer: RunningPgBouncer;
    let clients: pg.Client[];

    beforeAll(async () => {
      schema = await createIsolatedSchema();
      const storage = await PostgresStorage.open({ url: schema.runtimeUrl, ownerUrl: schema.ownerUrl });
      await storage.close();
      // One server connection for two clients: whatever one client's transaction set, the other's
      // next transaction runs on the very same server session.
      bouncer = await startPgBouncer({ users: [schema.runtimeRole], poolSize: 1 });
      clients = [
        new pg.Client(bouncer.through(schema.runtimeUrl)),
        new pg.Client(bouncer.through(schema.runtimeUrl)),
      ];
      for (const c of clients) await c.connect();
      await seedTwoOrgs(clients[0] as pg.Client, ['org-a', 'org-b']);
    }, 60_000);
    afterAll(async () => {
      for (const c of clients ?? []) await c.end();
      await bouncer?.stop();
      await schema?.dispose();
    });

    async function inScope<T>(client: pg.Client, setting: [string, string] | null, fn: () => Promise<T>) {
      await client.query('BEGIN');
      try {
        if (setting) await client.query('SELECT set_config($1, $2, true)', setting);
        return await fn();
      } finally {
        await client.query('ROLLBACK');
      }
    }

    it.each(TENANT_TABLES)('%s: org A set sees org A rows only; nothing set sees none', async (table) => {
      const [a, b] = clients as [pg.Client, pg.Client];
      const rows = await inScope(a, ['orgvault.org_id', 'org-a'], async () => {
        return (await a.query(`SELECT * FROM ${table}`)).rows as { org_id: string }[];
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.org_id))).toEqual(new Set(['org-a']));
      // The other client, on the same server session right after: the setting did not survive.
      expect(await inScope(b, null, async () => (await b.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
    });

    it("a set_config(..., true) outside BEGIN (orgvault's read path) is gone for the next client", async () => {
      const [a, b] = clients as [pg.Client, pg.Client];
      const seen = await a.query({
        text: "SELECT set_config('orgvault.org_id', 'org-a', true) AS s, current_setting('orgvault.org_id', true) AS now",
      });
      expect(seen.rows[0]).toMatchObject({ s: 'org-a', now: 'org-a' });
      const after = await b.query("SELECT current_setting('orgvault.org_id', true) AS now");
      expect(after.rows[0].now ?? '').toBe('');
      expect((await b.query('SELECT * FROM modules')).rows).toEqual([]);
    });
  },
);

describe.skipIf(!runnable)(
  `orgvault through a transaction-pooling PgBouncer, two nodes${runnable ? '' : ` (${reason})`}`,
  () => {
    let db: PostgresDatabase;
    let bouncer: RunningPgBouncer;
    let nodes: Vault[];
    let servers: ServeNode[];
    let owner: string;

    beforeAll(async () => {
      db = await freshPostgresDatabase();
      bouncer = await startPgBouncer({ users: [db.schema.runtimeRole], poolSize: 3 });
      const options = {
        ...db.options,
        databaseUrl: bouncer.through(db.options.databaseUrl),
        pgPreparedStatements: false,
        warn: () => {},
      };
      nodes = [await openVault(options), await openVault(options)];
      await (nodes[0] as Vault).system.createOrg('acme');
      owner = (await (nodes[0] as Vault).auth.bootstrap()).apiKey;
      const env = {
        ...db.env,
        ORGVAULT_DATABASE_URL: options.databaseUrl,
        ORGVAULT_PG_PREPARED_STATEMENTS: 'off',
        ORGVAULT_LOG_LEVEL: 'info',
        ORGVAULT_REQUEST_LOG_SAMPLE: '0',
      };
      servers = await Promise.all([startNode(env), startNode(env)]);
    }, 120_000);
    afterAll(async () => {
      for (const s of servers ?? []) {
        const exited = new Promise((r) => s.child.once('exit', r));
        s.child.kill('SIGTERM');
        await exited;
      }
      for (const v of nodes ?? []) await v.close();
      await bouncer?.stop();
      await db?.dispose();
    }, 60_000);

    it('concurrent invocations on both nodes into one conversation leave every tool result', async () => {
      const [n1, n2] = nodes as [Vault, Vault];
      await n1.org().modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
      const n = 30;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          (i % 2 ? n1 : n2)
            .org()
            .conversations.invoke('shared', { moduleId: 'demo/echo', action: 'echo', input: { i } }),
        ),
      );
      const page = await n2.org().conversations.toolResults('shared', { limit: 500 });
      expect(page?.toolResults.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect((await n1.org().conversations.get('shared'))?.totalToolCalls).toBe(n);
      expect((await n1.org().modules.get('demo/echo'))?.successCount).toBe(n);
    });

    it("one org's writes through one node stay invisible to another org through the other", async () => {
      const [n1, n2] = nodes as [Vault, Vault];
      await n1
        .org('acme')
        .modules.install({ name: 'w', category: 'weather', platform: 'acme-only', version: '1.0.0' });
      await n1.org('acme').credentials.store('weather/acme-only', { api_key: 'acme-bouncer-secret' });
      expect((await n2.org('acme').modules.list()).map((m) => m.moduleId)).toContain('weather/acme-only');
      expect((await n2.org().modules.list()).map((m) => m.moduleId)).not.toContain('weather/acme-only');
      expect(await n2.org().modules.get('weather/acme-only')).toBeNull();
      expect(await n2.org('acme').credentials.retrieve('weather/acme-only')).toEqual({
        api_key: 'acme-bouncer-secret',
      });
    });

    it('two serve processes through it: a module installed on one is listed by the other, a revoked key refused', async () => {
      const [a, b] = servers as [ServeNode, ServeNode];
      const call = (node: ServeNode, method: string, path: string, key: string, body?: unknown) =>
        fetch(`${node.url}${path}`, {
          method,
          headers: {
            'x-api-key': key,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const put = await call(a, 'PUT', '/v1/modules/weather/openweather', owner, {
        name: 'openweather',
        category: 'weather',
        platform: 'openweather',
        version: '1.0.0',
      });
      expect(put.status).toBe(201);
      const listed = (await (await call(b, 'GET', '/v1/modules', owner)).json()) as {
        modules: { module_id: string }[];
      };
      expect(listed.modules.map((m) => m.module_id)).toContain('weather/openweather');
      const created = await call(a, 'POST', '/v1/api-keys', owner, { role: 'viewer', name: 'doomed' });
      const { api_key: doomed, key_id: keyId } = (await created.json()) as {
        api_key: string;
        key_id: string;
      };
      expect((await call(b, 'GET', '/v1/me', doomed)).status).toBe(200);
      expect((await call(a, 'DELETE', `/v1/api-keys/${keyId}`, owner)).status).toBe(204);
      // The other node's verification cache learns of the revocation through the database.
      const deadline = Date.now() + 1000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await call(b, 'GET', '/v1/me', doomed)).status;
        if (status === 401) break;
      }
      expect(status).toBe(401);
    });
  },
);
