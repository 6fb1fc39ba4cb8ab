import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the NEXUS fixtures live (read-only in CI: tests only ever use copies). */
export const FIXTURES_DIR = process.env.ORGVAULT_NEXUS_FIXTURES ?? '/work/shared/fixtures/nexus';

export const GENERATIONS = ['v1-single-tenant', 'v2-org-scoped'] as const;
export type Generation = (typeof GENERATIONS)[number];

export interface ModuleRefJson {
  org_id: string;
  module_id: string;
}

export interface Expected {
  nexus_encryption_key: string;
  modules: (ModuleRefJson & {
    status: string;
    health_status: string;
    failure_count: number;
    success_count: number;
    last_used: string | null;
    installed_at: string;
    updated_at: string;
    version: string;
    auth_type: string;
    display_name: string;
  })[];
  credentials: (ModuleRefJson & {
    created_at: string;
    updated_at: string;
    credentials: Record<string, string>;
  })[];
  unreadable_credentials: ModuleRefJson[];
  dev_key_credentials: ModuleRefJson[];
  organizations: { org_id: string; name: string; plan: string | null; created_at: string }[];
  api_keys: {
    key_id: string;
    org_id: string;
    role: string;
    status: string;
    rotation_grace_until: string | null;
    plaintext: string;
    must_authenticate: boolean;
  }[];
}

/** A private, writable copy of one generation's files; `dispose` removes it. */
export interface FixtureCopy {
  dir: string;
  registry: string;
  credentials: string;
  /** Only the org-scoped generation has one. */
  apiKeys: string | undefined;
  expected: Expected;
  dispose(): void;
}

export function copyFixture(generation: Generation): FixtureCopy {
  const dir = mkdtempSync(join(tmpdir(), `orgvault-nexus-${generation}-`));
  cpSync(join(FIXTURES_DIR, generation), dir, { recursive: true });
  // The originals are read-only; the copies must be removable (and corruptible by a test).
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  const files = readdirSync(dir);
  return {
    dir,
    registry: join(dir, 'module_registry.db'),
    credentials: join(dir, 'module_credentials.db'),
    apiKeys: files.includes('api_keys.db') ? join(dir, 'api_keys.db') : undefined,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** NEXUS writes ISO without a zone, meaning UTC; orgvault writes `...Z` with milliseconds. */
export const nexusToIso = (t: string): string =>
  new Date(`${t.replace(/(\.\d{3})\d*$/, '$1')}Z`).toISOString();

export const byRef = (a: ModuleRefJson, b: ModuleRefJson) =>
  a.org_id.localeCompare(b.org_id) || a.module_id.localeCompare(b.module_id);

export const sortedRefs = (refs: ModuleRefJson[]) =>
  refs.map((r) => ({ org_id: r.org_id, module_id: r.module_id })).sort(byRef);
