import { DEFAULT_ORG } from '../../ids.js';
import { detectGeneration, type NexusGeneration, openLegacyDb } from './legacy-db.js';

/** One row of NEXUS's `credentials` table: the Fernet token stays opaque until the planner opens it. */
export interface LegacyCredential {
  orgId: string;
  moduleId: string;
  token: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  module_id: string;
  encrypted_data: string;
  created_at: string;
  updated_at: string;
  org_id: string | null;
}

/** Reads module_credentials.db (keyed by module_id before org_id existed, by (module_id, org_id) after). */
export function readCredentials(path: string): {
  generation: NexusGeneration;
  credentials: LegacyCredential[];
} {
  const db = openLegacyDb(path, 'credentials database');
  try {
    const generation = detectGeneration(
      db,
      'credentials',
      ['module_id', 'encrypted_data', 'created_at', 'updated_at'],
      `credentials database "${path}"`,
    );
    const orgColumn = generation === 'v2-org-scoped' ? 'org_id' : 'NULL AS org_id';
    const rows = db
      .prepare(
        `SELECT module_id, encrypted_data, created_at, updated_at, ${orgColumn} FROM credentials ORDER BY module_id`,
      )
      .all() as Row[];
    return {
      generation,
      credentials: rows.map((r) => ({
        orgId: r.org_id ?? DEFAULT_ORG,
        moduleId: r.module_id,
        token: r.encrypted_data,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      })),
    };
  } finally {
    db.close();
  }
}
