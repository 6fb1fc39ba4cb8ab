import { CONTROL_CHARACTERS_RULE, findControlCharacter } from '../../control-chars.js';
import { isModuleId, moduleIdOf } from '../../ids.js';
import { describeIssue, MAX_MANIFEST_BYTES, ManifestSchema } from '../../modules/manifest.js';
import {
  HEALTH_STATUSES,
  type HealthStatus,
  MODULE_STATUSES,
  type ModuleStatus,
} from '../../modules/module-statuses.js';
import type { ModuleImport } from '../../storage/rows.js';
import { ImportError } from './import-error.js';
import { optionalNexusTime } from './nexus-time.js';
import type { LegacyModule } from './read-registry.js';

/** A module row to write, in one org. `restored`: NEXUS lost this org's row and it is rebuilt. */
export interface PlannedModule {
  orgId: string;
  row: ModuleImport;
  restored: boolean;
}

const isStatus = (s: string): s is ModuleStatus => (MODULE_STATUSES as readonly string[]).includes(s);
const isHealth = (s: string): s is HealthStatus => (HEALTH_STATUSES as readonly string[]).includes(s);

function counter(value: number | null, where: string, column: string): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ImportError(`${where}: ${column} must be a count, got ${n}`);
  return n;
}

/**
 * Validates a NEXUS manifest against orgvault's schema and returns it exactly as NEXUS stored it
 * (the parsed JSON, not the schema's output), so unknown fields and their order round-trip.
 */
export function parseNexusManifest(json: string, moduleId: string, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ImportError(`${where}: manifest_json is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ImportError(`${where}: manifest_json is not a JSON object`);
  }
  const result = ManifestSchema.safeParse(parsed);
  if (!result.success)
    throw new ImportError(`${where}: invalid manifest: ${describeIssue(result.error).message}`);
  const controlled = findControlCharacter(parsed);
  if (controlled !== null) {
    throw new ImportError(`${where}: invalid manifest: ${controlled}: ${CONTROL_CHARACTERS_RULE}`);
  }
  if (moduleIdOf(result.data.category, result.data.platform) !== moduleId) {
    throw new ImportError(`${where}: manifest names ${result.data.category}/${result.data.platform}`);
  }
  if (Buffer.byteLength(json) > MAX_MANIFEST_BYTES) {
    throw new ImportError(`${where}: manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  return parsed as Record<string, unknown>;
}

/** Turns one NEXUS module row into the full orgvault row, keeping status, counters and times. */
export function planModule(m: LegacyModule): PlannedModule {
  const where = `module registry, module "${m.moduleId}" (org "${m.orgId}")`;
  if (!isModuleId(m.moduleId) || moduleIdOf(m.category, m.platform) !== m.moduleId) {
    throw new ImportError(`${where}: module id must be category/platform in orgvault's id syntax`);
  }
  if (!isStatus(m.status)) throw new ImportError(`${where}: unknown status "${m.status}"`);
  if (!isHealth(m.healthStatus)) throw new ImportError(`${where}: unknown health status "${m.healthStatus}"`);
  const manifest = parseNexusManifest(m.manifestJson, m.moduleId, where);
  const installedAt = optionalNexusTime(m.installedAt, `${where}, installed_at`);
  const updatedAt = optionalNexusTime(m.updatedAt, `${where}, updated_at`);
  // NEXUS allowed NULL times; orgvault needs both, so fall back on the other one.
  const installed = installedAt ?? updatedAt;
  if (installed === null) throw new ImportError(`${where}: neither installed_at nor updated_at is set`);
  return {
    orgId: m.orgId,
    restored: false,
    row: {
      moduleId: m.moduleId,
      name: m.name,
      category: m.category,
      platform: m.platform,
      version: String(manifest.version),
      status: m.status,
      healthStatus: m.healthStatus,
      manifest,
      installedAt: installed,
      updatedAt: updatedAt ?? installed,
      failureCount: counter(m.failureCount, where, 'failure_count'),
      successCount: counter(m.successCount, where, 'success_count'),
      consecutiveFailures: 0,
      lastFailureAt: null,
      lastUsedAt: optionalNexusTime(m.lastUsed, `${where}, last_used`),
    },
  };
}

/**
 * Rebuilds a module NEXUS lost in one org (its old table kept one row per module id across all
 * orgs) from the manifest found elsewhere, `disabled` until a person reviews it. Counters start at
 * zero: the usage NEXUS counted belongs to the org whose row survived.
 */
export function restoreModule(
  orgId: string,
  moduleId: string,
  found: PlannedModule | undefined,
  now: string,
): PlannedModule {
  const [category = '', platform = ''] = moduleId.split('/');
  // With no manifest anywhere, a minimal one keeps the credentials attached and reviewable.
  const manifest = found
    ? structuredClone(found.row.manifest)
    : { name: platform, category, platform, version: '0.0.0' };
  return {
    orgId,
    restored: true,
    row: {
      moduleId,
      name: found?.row.name ?? platform,
      category,
      platform,
      version: found?.row.version ?? '0.0.0',
      status: 'disabled',
      healthStatus: 'unknown',
      manifest,
      installedAt: now,
      updatedAt: now,
      failureCount: 0,
      successCount: 0,
      consecutiveFailures: 0,
      lastFailureAt: null,
      lastUsedAt: null,
    },
  };
}
