import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenVaultOptions, openVault, type Vault } from '../../src/vault.js';

/**
 * The backends the conformance suite runs on, chosen by ORGVAULT_TEST_BACKENDS (comma-separated,
 * default "sqlite", or "sqlite,postgres" when ORGVAULT_TEST_POSTGRES_URL is set; "postgres" needs that URL). Every call to `fresh()` gives a
 * new, empty database that no other test shares.
 */
export interface TestBackend {
  name: string;
  /**
   * Whether a second transaction can run and commit while one is open (PostgreSQL), or waits for
   * it (SQLite serialises its transactions): what a test of a race can force on this engine.
   */
  concurrentTransactions: boolean;
  /** Options for openVault pointing at a brand-new database, plus how to drop it. */
  fresh(): Promise<FreshDatabase>;
}

export interface FreshDatabase {
  /** databaseUrl, dataDir and a master key for this database. */
  options: OpenVaultOptions & { databaseUrl: string; dataDir: string; masterKey: string };
  dispose(): Promise<void>;
}

export const testMasterKey = (): string => randomBytes(32).toString('base64');

export const sqliteBackend: TestBackend = {
  name: 'sqlite',
  concurrentTransactions: false,
  async fresh() {
    const dataDir = mkdtempSync(join(tmpdir(), 'orgvault-test-'));
    return {
      options: { databaseUrl: `sqlite:${join(dataDir, 'orgvault.db')}`, dataDir, masterKey: testMasterKey() },
      async dispose() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

const registry: Record<string, () => Promise<TestBackend | null>> = {
  sqlite: async () => sqliteBackend,
  postgres: async () => (await import('./postgres-backend.js')).loadPostgresBackend(testMasterKey),
};

/** Lets another backend module (e.g. postgres) register itself. */
export function registerBackend(name: string, load: () => Promise<TestBackend | null>): void {
  registry[name] = load;
}

export async function selectedBackends(): Promise<TestBackend[]> {
  // With a PostgreSQL URL configured and no explicit choice, both engines run.
  const fallback = process.env.ORGVAULT_TEST_POSTGRES_URL?.trim() ? 'sqlite,postgres' : 'sqlite';
  const names = (process.env.ORGVAULT_TEST_BACKENDS || fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out: TestBackend[] = [];
  for (const name of names) {
    const load = registry[name];
    if (!load) throw new Error(`unknown test backend "${name}" in ORGVAULT_TEST_BACKENDS`);
    const backend = await load();
    if (backend) out.push(backend);
  }
  return out;
}

/** Opens a vault on a fresh database; `close` closes it and drops the database. */
export async function freshVault(
  backend: TestBackend,
  extra: Partial<OpenVaultOptions> = {},
): Promise<{ vault: Vault; db: FreshDatabase; close: () => Promise<void> }> {
  const db = await backend.fresh();
  const vault = await openVault({ ...db.options, warn: () => {}, ...extra });
  return {
    vault,
    db,
    async close() {
      await vault.close();
      await db.dispose();
    },
  };
}
