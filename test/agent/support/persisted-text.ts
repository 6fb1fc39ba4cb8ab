import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';
import { orgScope } from '../../../src/storage/types.js';
import type { Vault } from '../../../src/vault.js';

/**
 * Everything the vault persisted, as one text to search for secrets. On SQLite every row of every
 * table is read with raw SQL (nothing the adapters might filter); on other engines, row-level
 * security hides rows from a raw connection, so the org's checkpoints, audit chain and modules are
 * read through the storage interface instead.
 */
export async function persistedText(
  vault: Vault,
  orgIds: string[],
  conversationIds: string[],
): Promise<string> {
  const storage = vault.services.storage;
  if (storage instanceof SqliteStorage) {
    const db = storage.rawConnection;
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    const names = tables.map((t) => t.name);
    for (const required of ['checkpoints', 'audit_events', 'modules']) {
      if (!names.includes(required)) throw new Error(`table ${required} missing`);
    }
    return names
      .map((name) => `${name}: ${rowsAsText(db.prepare(`SELECT * FROM "${name}"`).all())}`)
      .join('\n');
  }
  const parts: string[] = [];
  for (const orgId of orgIds) {
    await storage.read(orgScope(orgId), async (r) => {
      for (const id of conversationIds)
        parts.push(JSON.stringify(await r.checkpoints.findCheckpoint(orgId, id)));
      parts.push(JSON.stringify(await r.audit.listAuditChain(orgId)));
      parts.push(JSON.stringify(await r.modules.listModules(orgId, {})));
    });
  }
  return parts.join('\n');
}

/** Rows as text, blobs decoded as UTF-8 too (a secret stored unencrypted in a blob would show). */
function rowsAsText(rows: unknown[]): string {
  return JSON.stringify(rows, (_k, v: unknown) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('latin1')
      : v,
  );
}
