import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { destinationOf } from '../src/credentials/credential-destination.js';
import { AUDIT_CHAIN_LOCK_SQL } from '../src/storage/postgres/advisory-locks.js';
import type { PostgresStorage } from '../src/storage/postgres/postgres-storage.js';
import { queryWithPrefix } from '../src/storage/postgres/scoped-query.js';
import type { Vault } from '../src/vault.js';
import { internalsOf } from '../src/vault-internals.js';
import type { Dataset } from './dataset.js';
import type { BenchCase } from './harness.js';
import { aadFor } from './sqlite-cases.js';

/**
 * The PostgreSQL floors: the same statements, bare, through the SAME pool orgvault uses (so network
 * and pool costs are on both sides). A bare query as the runtime role sees no tenant row (RLS, no
 * org set), so the floors read copies of the tables without RLS, made by the owner. The `rls:` cases
 * then price RLS alone: the same scoped read (set_config + query in one round trip) on the real
 * table and on its copy.
 */
export async function postgresCases(
  vault: Vault,
  schema: { ownerUrl: string; runtimeRole: string },
  data: Dataset,
): Promise<BenchCase[]> {
  const owner = new pg.Client({ connectionString: schema.ownerUrl });
  await owner.connect();
  const rt = pg.escapeIdentifier(schema.runtimeRole);
  // FORCE makes RLS bind the owner too: this private session reads through the system policy.
  await owner.query(`
    SET orgvault.system = 'on';
    CREATE TABLE bench_modules (LIKE modules INCLUDING ALL);
    INSERT INTO bench_modules SELECT * FROM modules;
    CREATE TABLE bench_credentials (LIKE credentials INCLUDING ALL);
    INSERT INTO bench_credentials SELECT * FROM credentials;
    CREATE TABLE bench_audit (LIKE audit_events INCLUDING ALL);
    INSERT INTO bench_audit SELECT * FROM audit_events;
    -- LIKE copies no foreign key: the floors' rows check the same keys as orgvault's.
    ALTER TABLE bench_modules ADD FOREIGN KEY (org_id) REFERENCES organizations(org_id) ON DELETE CASCADE;
    ALTER TABLE bench_credentials ADD FOREIGN KEY (org_id, module_id) REFERENCES modules(org_id, module_id) ON DELETE CASCADE;
    ALTER TABLE bench_audit ADD FOREIGN KEY (org_id) REFERENCES organizations(org_id) ON DELETE CASCADE;
    ANALYZE bench_modules; ANALYZE bench_credentials; ANALYZE bench_audit; ANALYZE modules; ANALYZE credentials;
    GRANT SELECT, INSERT, UPDATE, DELETE ON bench_modules, bench_credentials, bench_audit TO ${rt};
  `);
  await owner.end();

  const pool = (internalsOf(vault).storage as PostgresStorage).rawPool;
  const cols =
    'org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at, failure_count, success_count, consecutive_failures, last_failure_at, last_used_at';
  const get = (table: string) => ({
    name: `bench_get_${table}`,
    text: `SELECT ${cols} FROM ${table} WHERE org_id = $1 AND module_id = $2`,
  });
  const list = (table: string) => ({
    name: `bench_list_${table}`,
    text: `SELECT ${cols} FROM ${table} WHERE org_id = $1 ORDER BY category, name, module_id`,
  });
  const upsert = {
    name: 'bench_upsert_module',
    text: `INSERT INTO bench_modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'installed', 'unknown', $7, $8, $8)
           ON CONFLICT (org_id, module_id) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at
           RETURNING ${cols}, (xmax = 0) AS inserted`,
  };
  // The row a write changes, locked (orgvault orders a reinstall and a credential store this way).
  const lockModule = (table: string) => ({
    name: `bench_lock_${table}`,
    text: `SELECT ${cols} FROM ${table} WHERE org_id = $1 AND module_id = $2 FOR UPDATE`,
  });
  // The credential with the manifest it is bound to (its destination is in the associated data).
  const getCredential = {
    name: 'bench_get_cred',
    text: `SELECT c.nonce, c.ciphertext, m.manifest FROM bench_credentials c
           JOIN bench_modules m ON m.org_id = c.org_id AND m.module_id = c.module_id
           WHERE c.org_id = $1 AND c.module_id = $2`,
  };
  const upsertCredential = {
    name: 'bench_upsert_cred',
    text: `INSERT INTO bench_credentials (org_id, module_id, key_version, aad_version, nonce, ciphertext, field_names, created_at, updated_at)
           VALUES ($1, $2, 1, 2, $3, $4, '["api_key"]', $5, $5)
           ON CONFLICT (org_id, module_id) DO UPDATE SET
             key_version = excluded.key_version, aad_version = excluded.aad_version, nonce = excluded.nonce,
             ciphertext = excluded.ciphertext, field_names = excluded.field_names, updated_at = excluded.updated_at
           RETURNING (xmax = 0) AS inserted`,
  };
  const chainLock = { name: 'bench_chain_lock', text: AUDIT_CHAIN_LOCK_SQL };
  const chainHead = {
    name: 'bench_chain_head',
    text: 'SELECT seq, hash FROM bench_audit WHERE org_id = $1 ORDER BY seq DESC LIMIT 1',
  };
  const auditInsert = {
    name: 'bench_audit_insert',
    text: `INSERT INTO bench_audit (org_id, seq, at, action, target_type, target_id, outcome, details, prev_hash, hash)
           VALUES ($1, $2, $3, $4, 'module', $5, 'success', $6, $7, $8)`,
  };
  const now = new Date().toISOString();
  /**
   * A mutation's unavoidable work under the contract, in orgvault's round trips: BEGIN with the
   * locked read of the row; the upsert; the org's chain lock with its head (seq, hash); the audit
   * row, chained by a SHA-256 over the event, with COMMIT.
   */
  const inTransactionWithAudit = async (
    org: string,
    mod: string,
    action: string,
    lockTable: string,
    write: (before: { manifest: Record<string, unknown> } | undefined) => pg.QueryConfig,
    details: (inserted: boolean) => Record<string, unknown>,
  ) => {
    const client = await pool.connect();
    try {
      const begin = [{ name: 'bench_begin', text: 'BEGIN', values: [] }];
      const before = (await queryWithPrefix(client, begin, { ...lockModule(lockTable), values: [org, mod] }))
        .rows[0];
      const inserted = (await client.query(write(before))).rows[0]?.inserted === true;
      const lock = [{ ...chainLock, values: [org] }];
      const head = (await queryWithPrefix(client, lock, { ...chainHead, values: [org] })).rows[0];
      const seq = (head?.seq ?? 0) + 1;
      const prev = head?.hash ?? '0'.repeat(64);
      const d = JSON.stringify(details(inserted));
      const body = JSON.stringify([org, seq, now, null, action, 'module', mod, null, 'success', d]);
      const hash = createHash('sha256').update(prev).update('\n').update(body).digest('hex');
      const row = [{ ...auditInsert, values: [org, seq, now, action, mod, d, prev, hash] }];
      await queryWithPrefix(client, row, { name: 'bench_commit', text: 'COMMIT' });
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  };
  /** One scoped read exactly as the adapter does it: set_config + query behind one Sync (scoped-reads.ts). */
  const scopedRead = async (org: string, config: pg.QueryConfig) => {
    const client = await pool.connect();
    try {
      const opening = { text: 'SELECT set_config($1, $2, true)', values: ['orgvault.org_id', org] };
      return (await queryWithPrefix(client, [opening], config)).rows;
    } finally {
      client.release();
    }
  };
  const key = randomBytes(32);
  const sealed = (() => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aadFor('org', 'module', {}));
    const ct = Buffer.concat([c.update(Buffer.from(JSON.stringify({ api_key: 'x'.repeat(32) }))), c.final()]);
    return { nonce, ct, tag: c.getAuthTag() };
  })();
  const encrypt = (i: number, aad: Buffer) => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const plain = Buffer.from(JSON.stringify({ api_key: `key-${i}-${'x'.repeat(24)}` }));
    return { nonce, ct: Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]) };
  };
  const pick = (i: number) => data.pairs[i % data.pairs.length] as [string, string];
  const credPick = (i: number) => data.credentialPairs[i % data.credentialPairs.length] as [string, string];
  const orgOf = (i: number) => data.orgs[i % data.orgs.length] as string;

  return [
    {
      name: 'modules.get',
      run: (i) => {
        const [org, mod] = pick(i);
        return vault.org(org).modules.get(mod);
      },
      floor: async (i) => {
        const [org, mod] = pick(i);
        return (await pool.query({ ...get('bench_modules'), values: [org, mod] })).rows[0] ?? null;
      },
    },
    {
      name: 'modules.list',
      run: (i) => vault.org(orgOf(i)).modules.list(),
      floor: async (i) => (await pool.query({ ...list('bench_modules'), values: [orgOf(i)] })).rows,
    },
    {
      name: 'modules.install',
      run: (i) => {
        const [org, mod] = pick(i);
        return vault.org(org).modules.install(data.manifestFor(mod, i));
      },
      floor: (i) => {
        const [org, mod] = pick(i);
        const m = data.manifestFor(mod, i);
        return inTransactionWithAudit(
          org,
          mod,
          'module.install',
          'bench_modules',
          (before) => {
            // The stored manifest, to compare destinations before a reinstall.
            if (before) destinationOf(before.manifest);
            return {
              ...upsert,
              values: [org, mod, m.name, m.category, m.platform, m.version, JSON.stringify(m), now],
            };
          },
          (inserted) => ({ version: m.version, result: inserted ? 'created' : 'replaced' }),
        );
      },
    },
    {
      name: 'credentials.retrieve',
      run: (i) => {
        const [org, mod] = credPick(i);
        return vault.org(org).credentials.retrieve(mod);
      },
      floor: async (i) => {
        const [org, mod] = credPick(i);
        const r = (await scopedRead(org, { ...getCredential, values: [org, mod] }))[0];
        if (!r) throw new Error('missing floor row');
        // orgvault's rows are sealed under its org keys: the floor opens a value of its own, bound
        // the same way (org, module, destination of the manifest just read).
        const d = createDecipheriv('aes-256-gcm', key, sealed.nonce);
        d.setAAD(aadFor('org', 'module', r.manifest));
        d.setAuthTag(sealed.tag);
        return JSON.parse(Buffer.concat([d.update(sealed.ct), d.final()]).toString());
      },
    },
    {
      name: 'credentials.store',
      run: (i) => {
        const [org, mod] = credPick(i);
        return vault.org(org).credentials.store(mod, { api_key: `key-${i}-${'x'.repeat(24)}` });
      },
      floor: (i) => {
        const [org, mod] = credPick(i);
        return inTransactionWithAudit(
          org,
          mod,
          'credentials.store',
          'bench_modules',
          (module) => {
            if (!module) throw new Error('missing floor module');
            // Sealed for the destination of the module's manifest.
            const { nonce, ct } = encrypt(i, aadFor(org, mod, module.manifest));
            return { ...upsertCredential, values: [org, mod, nonce, ct, now] };
          },
          (inserted) => ({ fields: ['api_key'], result: inserted ? 'created' : 'replaced' }),
        );
      },
    },
    {
      name: 'rls: get (RLS vs copy)',
      run: (i) => {
        const [org, mod] = pick(i);
        return scopedRead(org, { ...get('modules'), values: [org, mod] });
      },
      floor: (i) => {
        const [org, mod] = pick(i);
        return scopedRead(org, { ...get('bench_modules'), values: [org, mod] });
      },
    },
    {
      name: 'rls: list (RLS vs copy)',
      run: (i) => scopedRead(orgOf(i), { ...list('modules'), values: [orgOf(i)] }),
      floor: (i) => scopedRead(orgOf(i), { ...list('bench_modules'), values: [orgOf(i)] }),
    },
  ];
}
