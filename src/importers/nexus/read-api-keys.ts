import { detectGeneration, openLegacyDb, tableColumns } from './legacy-db.js';

/** One row of NEXUS's `api_keys` table (the key itself was never stored, only its SHA-256). */
export interface LegacyApiKey {
  keyId: string;
  orgId: string;
  keyHash: string;
  role: string;
  userId: string | null;
  createdAt: string;
  lastUsed: string | null;
  status: string;
  graceUntil: string | null;
  rateLimit: number | null;
}

export interface LegacyOrg {
  orgId: string;
  name: string;
  plan: string | null;
  createdAt: string;
}

interface KeyRow {
  key_id: string;
  org_id: string;
  key_hash: string;
  role: string;
  user_id: string | null;
  created_at: string;
  last_used: string | null;
  status: string;
  rotation_grace_until: string | null;
  rate_limit: number | null;
}

interface OrgRecord {
  org_id: string;
  name: string;
  plan: string | null;
  created_at: string;
}

/**
 * Reads api_keys.db: its keys and organizations. Only the org-scoped generation had this file;
 * its `users` table has no counterpart in orgvault (people hold keys) and is not read.
 */
export function readApiKeys(path: string): { apiKeys: LegacyApiKey[]; organizations: LegacyOrg[] } {
  const db = openLegacyDb(path, 'API keys database');
  try {
    detectGeneration(
      db,
      'api_keys',
      [
        'key_id',
        'org_id',
        'key_hash',
        'role',
        'user_id',
        'created_at',
        'last_used',
        'status',
        'rotation_grace_until',
        'rate_limit',
      ],
      `API keys database "${path}"`,
    );
    const keys = db
      .prepare(
        `SELECT key_id, org_id, key_hash, role, user_id, created_at, last_used, status, rotation_grace_until, rate_limit
         FROM api_keys ORDER BY org_id, created_at, key_id`,
      )
      .all() as KeyRow[];
    const orgColumns = tableColumns(db, 'organizations');
    const orgs =
      orgColumns === null
        ? []
        : (db
            .prepare(
              `SELECT org_id, name, ${orgColumns.has('plan') ? 'plan' : 'NULL AS plan'}, created_at
               FROM organizations ORDER BY org_id`,
            )
            .all() as OrgRecord[]);
    return {
      apiKeys: keys.map((k) => ({
        keyId: k.key_id,
        orgId: k.org_id,
        keyHash: k.key_hash,
        role: k.role,
        userId: k.user_id,
        createdAt: k.created_at,
        lastUsed: k.last_used,
        status: k.status,
        graceUntil: k.rotation_grace_until,
        rateLimit: k.rate_limit,
      })),
      organizations: orgs.map((o) => ({
        orgId: o.org_id,
        name: o.name,
        plan: o.plan,
        createdAt: o.created_at,
      })),
    };
  } finally {
    db.close();
  }
}
