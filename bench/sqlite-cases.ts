import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { Vault } from '../src/vault.js';
import type { Dataset } from './dataset.js';
import type { BenchCase } from './harness.js';

/**
 * The SQLite floors: the same statements orgvault's adapter runs, prepared once on a connection of
 * their own, with only the unavoidable extra work (JSON.parse of the manifest; one AES-256-GCM call).
 */
export function sqliteCases(vault: Vault, path: string, data: Dataset): BenchCase[] {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Checkpoints are left to orgvault's own timer, as for orgvault's writer: neither side pays for
  // the other's pages inside a measured operation.
  db.pragma('wal_autocheckpoint = 0');
  // The floor's writes go to copies of orgvault's own tables (same definition, same rows), so they
  // touch as many pages as orgvault's writes do and never disturb the rows orgvault reads.
  const copyTable = (table: string, copy: string) => {
    const ddl = db
      .prepare<[string], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(table);
    if (!ddl) throw new Error(`no table ${table}`);
    db.exec(`DROP TABLE IF EXISTS ${copy}`);
    // Foreign keys are left out: they point at orgvault's rows, which the floor must not depend on.
    db.exec(
      ddl.sql
        .replace(table, copy)
        .replace(/,\s*FOREIGN KEY[^)]*\)[^,)]*(?=\s*\))/g, '')
        .replace(/REFERENCES \w+\(\w+\)( ON DELETE CASCADE)?/g, ''),
    );
    db.exec(`INSERT INTO ${copy} SELECT * FROM ${table}`);
  };
  copyTable('credentials', 'bench_floor_credentials');
  copyTable('audit_events', 'bench_floor_audit');
  const seqs = new Map(
    db
      .prepare<[], { org_id: string; seq: number }>(
        'SELECT org_id, MAX(seq) AS seq FROM bench_floor_audit GROUP BY org_id',
      )
      .all()
      .map((r) => [r.org_id, r.seq]),
  );
  const get = db.prepare<[string, string], { manifest: string }>(
    'SELECT * FROM modules WHERE org_id = ? AND module_id = ?',
  );
  const list = db.prepare<[string], { manifest: string }>(
    'SELECT * FROM modules WHERE org_id = ? ORDER BY category, name, module_id',
  );
  const upsertModule = db.prepare(
    `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'installed', 'unknown', ?, ?, ?)
     ON CONFLICT (org_id, module_id) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at`,
  );
  const getCredential = db.prepare<[string, string], { nonce: Buffer; ciphertext: Buffer }>(
    'SELECT nonce, ciphertext FROM credentials WHERE org_id = ? AND module_id = ?',
  );
  const upsertCredential = db.prepare(
    `INSERT INTO bench_floor_credentials (org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at)
     VALUES (?, ?, 1, ?, ?, '["api_key"]', ?, ?)
     ON CONFLICT (org_id, module_id) DO UPDATE SET
       key_version = excluded.key_version, nonce = excluded.nonce, ciphertext = excluded.ciphertext,
       field_names = excluded.field_names, updated_at = excluded.updated_at`,
  );
  const auditInsert = db.prepare(
    `INSERT INTO bench_floor_audit (org_id, seq, at, actor_key_id, action, target_type, target_id, request_id, outcome, details, prev_hash, hash)
     VALUES (?, ?, ?, NULL, 'bench', 'module', ?, NULL, 'success', '{}', ?, ?)`,
  );
  const prevHash = '0'.repeat(64);
  /**
   * The unavoidable work of a mutation under the contract: one transaction holding the statement
   * and its audit row (DESIGN.md: a change and its audit row are written together).
   */
  const inTransactionWithAudit = (org: string, mod: string, statement: () => unknown) => {
    db.exec('BEGIN IMMEDIATE');
    statement();
    const seq = (seqs.get(org) ?? 0) + 1;
    seqs.set(org, seq);
    auditInsert.run(org, seq, now, mod, prevHash, prevHash);
    db.exec('COMMIT');
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
  const now = new Date().toISOString();

  return [
    {
      name: 'modules.get',
      run: (i) => {
        const [org, mod] = pick(i);
        return vault.org(org).modules.get(mod);
      },
      floor: (i) => {
        const [org, mod] = pick(i);
        const r = get.get(org, mod);
        return r ? JSON.parse(r.manifest) : null;
      },
    },
    {
      name: 'modules.list',
      run: (i) => vault.org(data.orgs[i % data.orgs.length] as string).modules.list(),
      floor: (i) => list.all(data.orgs[i % data.orgs.length] as string).map((r) => JSON.parse(r.manifest)),
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
        inTransactionWithAudit(org, mod, () =>
          upsertModule.run(org, mod, m.name, m.category, m.platform, m.version, JSON.stringify(m), now, now),
        );
      },
      bareStatement: (i) => {
        const [org, mod] = pick(i);
        const m = data.manifestFor(mod, i);
        return upsertModule.run(
          org,
          mod,
          m.name,
          m.category,
          m.platform,
          m.version,
          JSON.stringify(m),
          now,
          now,
        );
      },
    },
    {
      name: 'credentials.retrieve',
      run: (i) => {
        const [org, mod] = credPick(i);
        return vault.org(org).credentials.retrieve(mod);
      },
      floor: (i) => {
        const [org, mod] = credPick(i);
        const r = getCredential.get(org, mod);
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
        inTransactionWithAudit(org, mod, () => upsertCredential.run(org, mod, nonce, ct, now, now));
      },
      bareStatement: (i) => {
        const [org, mod] = credPick(i);
        const { nonce, ct } = encrypt(i);
        return upsertCredential.run(org, mod, nonce, ct, now, now);
      },
    },
  ];
}
