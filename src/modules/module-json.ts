import type { ModuleRecord } from './module-record.js';

/** A module as HTTP and `--json` show it: the library record's fields in snake_case. */
export function toModuleJson(m: ModuleRecord) {
  return {
    org_id: m.orgId,
    module_id: m.moduleId,
    name: m.name,
    category: m.category,
    platform: m.platform,
    version: m.version,
    status: m.status,
    health_status: m.healthStatus,
    manifest: m.manifest,
    installed_at: m.installedAt,
    updated_at: m.updatedAt,
    failure_count: m.failureCount,
    success_count: m.successCount,
    last_used_at: m.lastUsedAt,
  };
}
