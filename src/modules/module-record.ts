import type { ModuleRow } from '../storage/rows.js';
import type { HealthStatus, ModuleStatus } from './module-statuses.js';

/** A module as the library returns it (camelCase); HTTP renders the same fields in snake_case. */
export interface ModuleRecord {
  orgId: string;
  moduleId: string;
  name: string;
  category: string;
  platform: string;
  version: string;
  status: ModuleStatus;
  healthStatus: HealthStatus;
  manifest: Record<string, unknown>;
  installedAt: string;
  updatedAt: string;
  failureCount: number;
  successCount: number;
  lastUsedAt: string | null;
}

export function toModuleRecord(row: ModuleRow): ModuleRecord {
  return {
    orgId: row.orgId,
    moduleId: row.moduleId,
    name: row.name,
    category: row.category,
    platform: row.platform,
    version: row.version,
    status: row.status,
    healthStatus: row.healthStatus,
    manifest: row.manifest,
    installedAt: row.installedAt,
    updatedAt: row.updatedAt,
    failureCount: row.failureCount,
    successCount: row.successCount,
    lastUsedAt: row.lastUsedAt,
  };
}
