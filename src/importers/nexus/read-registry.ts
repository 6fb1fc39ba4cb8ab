import { DEFAULT_ORG } from '../../ids.js';
import { detectGeneration, type NexusGeneration, openLegacyDb } from './legacy-db.js';

/** One row of NEXUS's `modules` table, as stored (validated and converted by the planner). */
export interface LegacyModule {
  orgId: string;
  moduleId: string;
  name: string;
  category: string;
  platform: string;
  status: string;
  healthStatus: string;
  manifestJson: string;
  installedAt: string | null;
  updatedAt: string | null;
  failureCount: number | null;
  successCount: number | null;
  lastUsed: string | null;
}

const REQUIRED = [
  'module_id',
  'name',
  'category',
  'platform',
  'status',
  'health_status',
  'manifest_json',
  'installed_at',
  'updated_at',
  'failure_count',
  'success_count',
  'last_used',
] as const;

interface Row {
  module_id: string;
  name: string;
  category: string;
  platform: string;
  status: string;
  health_status: string;
  manifest_json: string;
  installed_at: string | null;
  updated_at: string | null;
  failure_count: number | null;
  success_count: number | null;
  last_used: string | null;
  org_id: string | null;
}

/** Reads module_registry.db. Before org_id existed every module belonged to `default`. */
export function readRegistry(path: string): { generation: NexusGeneration; modules: LegacyModule[] } {
  const db = openLegacyDb(path, 'module registry');
  try {
    const generation = detectGeneration(db, 'modules', REQUIRED, `module registry "${path}"`);
    const orgColumn = generation === 'v2-org-scoped' ? 'org_id' : 'NULL AS org_id';
    const rows = db
      .prepare(`SELECT ${REQUIRED.join(', ')}, ${orgColumn} FROM modules ORDER BY module_id`)
      .all() as Row[];
    return {
      generation,
      modules: rows.map((r) => ({
        orgId: r.org_id ?? DEFAULT_ORG,
        moduleId: r.module_id,
        name: r.name,
        category: r.category,
        platform: r.platform,
        status: r.status,
        healthStatus: r.health_status,
        manifestJson: r.manifest_json,
        installedAt: r.installed_at,
        updatedAt: r.updated_at,
        failureCount: r.failure_count,
        successCount: r.success_count,
        lastUsed: r.last_used,
      })),
    };
  } finally {
    db.close();
  }
}
