import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { destinationOf } from '../src/credentials/credential-destination.js';
import { WAL_CHECKPOINT_PAGES } from '../src/storage/sqlite/sqlite-storage.js';
import type { Vault } from '../src/vault.js';
import type { Dataset } from './dataset.js';
import type { BenchCase } from './harness.js';

/**
 * Associated data binding a credential to its org, module and destination (the manifest's
 * base_url origin, auth section and token origin, hashed), as the contract requires.
 */
export function aadFor(org: string, mod: string, manifest: Record<string, unknown> | null): Buffer {
  const d = manifest === null ? null : destinationOf(manifest);
  const digest = createHash('sha256').update(JSON.stringify(d)).digest('hex');
  return Buffer.from(JSON.stringify([org, mod, 1, digest]));
}

/**
 * The SQLite floors: the same statements orgvault's adapter runs, prepared once on a connection of
 * their own, with only the unavoidable extra work (JSON.parse of the manifest; one AES-256-GCM call).
 */
export function sqliteCases(vault: Vault, path: string, data: Dataset): BenchCase[] {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // The same page-driven checkpoints as orgvault's writer: each side pays for checkpointing its
  // own pages, inside its own commits.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  // The floor's writes go to copies of orgvault's own tables (same definition, same rows, the same
  // foreign keys to orgvault's organizations and modules), so they touch as many pages and check as
  // many keys as orgvault's writes, and never disturb the rows orgvault reads.
  const copyTable = (table: string, copy: string) => {
    const ddl = db
      .prepare<[string], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(table);
    if (!ddl) throw new Error(`no table ${table}`);
    db.exec(`DROP TABLE IF EXISTS ${copy}`);
    db.exec(ddl.sql.replace(table, copy));
    db.exec(`INSERT INTO ${copy} SELECT * FROM ${table}`);
  };
  copyTable('credentials', 'bench_floor_credentials');
  copyTable('audit_events', 'bench_floor_audit');
  const get = db.prepare<[string, string], { manifest: string }>(
    'SELECT * FROM modules WHERE org_id = ? AND module_id = ?',
  );
  const list = db.prepare<[string], { manifest: string }>(
    'SELECT * FROM modules WHERE org_id = ? ORDER BY category, name, module_id',
  );
  const upsertModule = db.prepare(
    `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'installed', 'unknown', ?, ?, ?)
     ON CONFLICT (org_id, module_id) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, updated_at = excluded.updated_at
     RETURNING *`,
  );
  // The credential with the manifest it is bound to (its destination is in the associated data).
  const getCredential = db.prepare<[string, string], { nonce: Buffer; ciphertext: Buffer; manifest: string }>(
    `SELECT c.nonce, c.ciphertext, m.manifest FROM credentials c
     JOIN modules m ON m.org_id = c.org_id AND m.module_id = c.module_id
     WHERE c.org_id = ? AND c.module_id = ?`,
  );
  const upsertCredential = db.prepare(
    `INSERT INTO bench_floor_credentials (org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at)
     VALUES (?, ?, 1, ?, ?, '["api_key"]', ?, ?)
     ON CONFLICT (org_id, module_id) DO UPDATE SET
       key_version = excluded.key_version, nonce = excluded.nonce, ciphertext = excluded.ciphertext,
       field_names = excluded.field_names, updated_at = excluded.updated_at`,
  );
  const chainHead = db.prepare<[string], { seq: number; hash: string }>(
    'SELECT seq, hash FROM bench_floor_audit WHERE org_id = ? ORDER BY seq DESC LIMIT 1',
  );
  const auditInsert = db.prepare(
    `INSERT INTO bench_floor_audit (org_id, seq, at, actor_key_id, action, target_type, target_id, request_id, outcome, details, prev_hash, hash)
     VALUES (?, ?, ?, NULL, ?, 'module', ?, NULL, 'success', ?, ?, ?)`,
  );
  /**
   * The unavoidable work of a mutation under the contract: one transaction holding the statement
   * and its audit row (DESIGN.md: a change and its audit row are written together), the row
   * chained to the org's last one (its seq and hash read) by a SHA-256 over the event.
   */
  const inTransactionWithAudit = (
    org: string,
    mod: string,
    action: string,
    statement: (at: string) => Record<string, unknown>,
  ) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Each write has its own time, as orgvault's do: a floor that rewrote a row with the very
      // values it held would leave SQLite's page clean and skip work the contract requires.
      const at = new Date().toISOString();
      const details = JSON.stringify(statement(at));
      const head = chainHead.get(org);
      const seq = (head?.seq ?? 0) + 1;
      const prev = head?.hash ?? '0'.repeat(64);
      const body = JSON.stringify([org, seq, at, null, action, 'module', mod, null, 'success', details]);
      const hash = createHash('sha256').update(prev).update('\n').update(body).digest('hex');
      auditInsert.run(org, seq, at, action, mod, details, prev, hash);
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
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
        inTransactionWithAudit(org, mod, 'module.install', (at) => {
          // The stored manifest, to compare destinations before a reinstall (credential-destination.ts).
          const before = get.get(org, mod);
          if (before) destinationOf(JSON.parse(before.manifest));
          upsertModule.get(org, mod, m.name, m.category, m.platform, m.version, JSON.stringify(m), at, at);
          return { version: m.version, result: before ? 'replaced' : 'created' };
        });
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
        // orgvault's rows are sealed under its org keys: the floor opens a value of its own, bound
        // the same way (org, module, destination of the manifest just read).
        const d = createDecipheriv('aes-256-gcm', key, sealed.nonce);
        d.setAAD(aadFor('org', 'module', JSON.parse(r.manifest)));
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
        inTransactionWithAudit(org, mod, 'credentials.store', (at) => {
          // The module's manifest: credentials are sealed for its destination.
          const m = get.get(org, mod);
          if (!m) throw new Error('missing floor module');
          const { nonce, ct } = encrypt(i, aadFor(org, mod, JSON.parse(m.manifest)));
          upsertCredential.run(org, mod, nonce, ct, at, at);
          return { fields: ['api_key'], result: 'replaced' };
        });
      },
      bareStatement: (i) => {
        const [org, mod] = credPick(i);
        const { nonce, ct } = encrypt(i, aadFor(org, mod, null));
        return upsertCredential.run(org, mod, nonce, ct, now, now);
      },
    },
  ];
}
