import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresStorage } from '../src/storage/postgres/postgres-storage.js';
import { queryWithPrefix } from '../src/storage/postgres/scoped-query.js';
import type { Vault } from '../src/vault.js';
import { internalsOf } from '../src/vault-internals.js';
import type { Dataset } from './dataset.js';
import type { BenchCase } from './harness.js';

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
    ANALYZE bench_modules; ANALYZE bench_credentials; ANALYZE modules; ANALYZE credentials;
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
           ON CONFLICT (org_id, module_id) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at`,
  };
  const getCredential = {
    name: 'bench_get_cred',
    text: 'SELECT nonce, ciphertext FROM bench_credentials WHERE org_id = $1 AND module_id = $2',
  };
  const upsertCredential = {
    name: 'bench_upsert_cred',
    text: `UPDATE bench_credentials SET nonce = $3, ciphertext = $4, updated_at = $5 WHERE org_id = $1 AND module_id = $2`,
  };
  const auditInsert = {
    name: 'bench_audit_insert',
    text: `INSERT INTO bench_audit (org_id, seq, at, action, outcome, details, prev_hash, hash)
           VALUES ($1, $2, $3, 'bench', 'success', '{}', $4, $4)`,
  };
  let auditSeq = 0;
  const now = new Date().toISOString();
  const prevHash = '0'.repeat(64);
  /** A mutation's unavoidable work under the contract: one transaction with its audit row. */
  const inTransactionWithAudit = async (org: string, config: pg.QueryConfig) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(config);
      await client.query({ ...auditInsert, values: [org, ++auditSeq, now, prevHash] });
      await client.query('COMMIT');
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
    const ct = Buffer.concat([c.update(Buffer.from(JSON.stringify({ api_key: 'x'.repeat(32) }))), c.final()]);
    return { nonce, ct, tag: c.getAuthTag() };
  })();
  const encrypt = (i: number) => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
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
        return inTransactionWithAudit(org, {
          ...upsert,
          values: [org, mod, m.name, m.category, m.platform, m.version, JSON.stringify(m), now],
        });
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
        const r = (await pool.query({ ...getCredential, values: [org, mod] })).rows[0];
        if (!r) throw new Error('missing floor row');
        const d = createDecipheriv('aes-256-gcm', key, sealed.nonce);
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
        const { nonce, ct } = encrypt(i);
        return inTransactionWithAudit(org, { ...upsertCredential, values: [org, mod, nonce, ct, now] });
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
