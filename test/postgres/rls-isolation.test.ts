import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_TABLES } from '../../src/storage/postgres/migrations.js';
import { PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import {
  createIsolatedSchema,
  type IsolatedSchema,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
} from '../support/postgres.js';
import { seedTwoOrgs } from './seed.js';

/**
 * Isolation enforced by the database itself: raw SQL as the runtime role, bypassing orgvault's own
 * queries (and their WHERE org_id), must still see one org only.
 */
describe.skipIf(!POSTGRES_URL)(
  `row-level security as the runtime role${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let schema: IsolatedSchema;
    let runtime: pg.Client;

    beforeAll(async () => {
      schema = await createIsolatedSchema();
      const storage = await PostgresStorage.open({ url: schema.runtimeUrl, ownerUrl: schema.ownerUrl });
      await storage.close();
      runtime = new pg.Client({ connectionString: schema.runtimeUrl });
      await runtime.connect();
      await seedTwoOrgs(runtime, ['org-a', 'org-b']);
    });
    afterAll(async () => {
      await runtime?.end();
      await schema?.dispose();
    });

    /** Runs fn inside a transaction with one transaction-local setting, then rolls back. */
    async function inScope<T>(setting: [string, string] | null, fn: () => Promise<T>): Promise<T> {
      await runtime.query('BEGIN');
      try {
        if (setting) await runtime.query('SELECT set_config($1, $2, true)', setting);
        return await fn();
      } finally {
        await runtime.query('ROLLBACK');
      }
    }

    it.each(TENANT_TABLES)('SELECT * FROM %s with org A set returns only org A rows', async (table) => {
      const rows = await inScope(['orgvault.org_id', 'org-a'], async () => {
        return (await runtime.query(`SELECT * FROM ${table}`)).rows as { org_id: string }[];
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.org_id))).toEqual(new Set(['org-a']));
    });

    it.each(TENANT_TABLES)('SELECT * FROM %s with no org set returns no row', async (table) => {
      const rows = await inScope(null, async () => (await runtime.query(`SELECT * FROM ${table}`)).rows);
      expect(rows).toEqual([]);
    });

    it('the system setting sees both orgs (the deliberate cross-org path)', async () => {
      const orgs = await inScope(['orgvault.system', 'on'], async () => {
        return (await runtime.query('SELECT org_id FROM modules ORDER BY org_id')).rows.map((r) => r.org_id);
      });
      expect(orgs).toEqual(['org-a', 'org-b']);
    });

    const inserts: [string, string][] = [
      ['organizations', "INSERT INTO organizations (org_id, name, created_at) VALUES ('org-b2', 'x', 'now')"],
      [
        'modules',
        `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
       VALUES ('org-b', 'calendar/google', 'g', 'calendar', 'google', '1.0.0', 'installed', 'unknown', '{}', 'now', 'now')`,
      ],
      [
        'credentials',
        `INSERT INTO credentials (org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at)
       VALUES ('org-b', 'weather/openweather', 2, '\\x00', '\\x00', '[]', 'now', 'now') ON CONFLICT DO NOTHING`,
      ],
      [
        'org_keys',
        "INSERT INTO org_keys (org_id, version, master_key_id, wrapped, created_at) VALUES ('org-b', 2, 'k', '\\x00', 'now')",
      ],
      [
        'api_keys',
        "INSERT INTO api_keys (key_id, org_id, hash, role, status, created_at) VALUES ('evil', 'org-b', 'h', 'owner', 'active', 'now')",
      ],
      [
        'audit_events',
        "INSERT INTO audit_events (org_id, seq, at, action, outcome, details, prev_hash, hash) VALUES ('org-b', 2, 'now', 'x', 'success', '{}', 'p', 'h')",
      ],
      [
        'checkpoints',
        "INSERT INTO checkpoints (org_id, conversation_id, state, version, created_at, updated_at) VALUES ('org-b', 'c2', '{}', 1, 'now', 'now')",
      ],
      [
        'lg_checkpoints',
        "INSERT INTO lg_checkpoints (org_id, thread_id, checkpoint_ns, checkpoint_id, key_version, nonce, sealed, created_at) VALUES ('org-b', 't2', '', 'c2', 1, '\\x00', '\\x00', 'now')",
      ],
      [
        'lg_channel_values',
        "INSERT INTO lg_channel_values (org_id, thread_id, checkpoint_ns, channel, version, checkpoint_id, key_version, nonce, sealed) VALUES ('org-b', 't2', '', 'm', '1', 'c2', 1, '\\x00', '\\x00')",
      ],
      [
        'lg_writes',
        "INSERT INTO lg_writes (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, key_version, nonce, sealed) VALUES ('org-b', 't2', '', 'c2', 'k', 0, '', 1, '\\x00', '\\x00')",
      ],
      [
        'oauth_states',
        "INSERT INTO oauth_states (org_id, state_hash, module_id, verifier_nonce, verifier_sealed, created_at, expires_at) VALUES ('org-b', 'h2', 'weather/openweather', '\\x00', '\\x00', 'now', 'now')",
      ],
      [
        'oauth_connections',
        "INSERT INTO oauth_connections (org_id, module_id, status, scopes, connected_at, updated_at) VALUES ('org-b', 'weather/openweather', 'connected', '[]', 'now', 'now')",
      ],
    ];
    it.each(inserts)('INSERT of an org B row into %s while org A is set is refused', async (_table, sql) => {
      await expect(inScope(['orgvault.org_id', 'org-a'], () => runtime.query(sql))).rejects.toThrow(
        /row-level security/,
      );
    });

    it('an UPDATE with org A set cannot move a row to org B, nor touch org B rows', async () => {
      await expect(
        inScope(['orgvault.org_id', 'org-a'], () => runtime.query("UPDATE api_keys SET org_id = 'org-b'")),
      ).rejects.toThrow(/row-level security/);
      const changed = await inScope(['orgvault.org_id', 'org-a'], async () => {
        return (await runtime.query("UPDATE api_keys SET status = 'revoked' WHERE org_id = 'org-b'"))
          .rowCount;
      });
      expect(changed).toBe(0);
    });

    it('the auth scope reads api_keys only, and may write last_used_at only', async () => {
      const seen = await inScope(['orgvault.auth', 'on'], async () => ({
        keys: (await runtime.query('SELECT key_id FROM api_keys ORDER BY key_id')).rows.map((r) => r.key_id),
        modules: (await runtime.query('SELECT * FROM modules')).rowCount,
        credentials: (await runtime.query('SELECT * FROM credentials')).rowCount,
        connections: (await runtime.query('SELECT * FROM oauth_connections')).rowCount,
        // The OAuth2 callback finds a state by its hash before it knows the org: readable, deletable.
        states: (await runtime.query('SELECT org_id FROM oauth_states ORDER BY org_id')).rows.map(
          (r) => r.org_id,
        ),
        touched: (await runtime.query("UPDATE api_keys SET last_used_at = 'now' WHERE key_id = 'key_org-b'"))
          .rowCount,
      }));
      expect(seen).toEqual({
        keys: ['key_org-a', 'key_org-b'],
        modules: 0,
        credentials: 0,
        connections: 0,
        states: ['org-a', 'org-b'],
        touched: 1,
      });
      await expect(
        inScope(['orgvault.auth', 'on'], () =>
          runtime.query("UPDATE oauth_states SET module_id = 'x/y' WHERE org_id = 'org-b'"),
        ),
      ).resolves.toMatchObject({ rowCount: 0 });
      await expect(
        inScope(['orgvault.auth', 'on'], () =>
          runtime.query(
            "INSERT INTO oauth_states (org_id, state_hash, module_id, verifier_nonce, verifier_sealed, created_at, expires_at) VALUES ('org-b', 'h3', 'x/y', '\\x00', '\\x00', 'now', 'now')",
          ),
        ),
      ).rejects.toThrow(/row-level security/);
      await expect(
        inScope(['orgvault.auth', 'on'], () =>
          runtime.query("UPDATE api_keys SET role = 'viewer', status = 'revoked' WHERE key_id = 'key_org-b'"),
        ),
      ).rejects.toThrow(/may only update api_keys.last_used_at/);
      await expect(
        inScope(['orgvault.auth', 'on'], () =>
          runtime.query("DELETE FROM api_keys WHERE key_id = 'key_org-b'"),
        ),
      ).resolves.toMatchObject({ rowCount: 0 });
    });

    it('a setting made with set_config(..., true) is gone after the transaction', async () => {
      await inScope(['orgvault.org_id', 'org-a'], async () => undefined);
      const after = await runtime.query("SELECT current_setting('orgvault.org_id', true) AS v");
      expect(after.rows[0].v ?? '').toBe('');
      expect((await runtime.query('SELECT * FROM modules')).rowCount).toBe(0);
    });
  },
);
