/**
 * Rows as the stores read them (snake_case columns) and their conversion to the storage rows.
 * Engines differ only in how JSON and booleans come back (SQLite: text and 0/1; PostgreSQL: decoded
 * values): JSON goes through the executor's `json`, booleans through Boolean().
 */
import type { Role } from '../../auth/roles.js';
import type { HealthStatus, ModuleStatus } from '../../modules/module-statuses.js';
import type {
  ApiKeyRow,
  ApiKeyStatus,
  AuditRow,
  CredentialRow,
  ModuleImport,
  ModuleRow,
  OrgKeyRow,
  OrgRow,
} from '../rows.js';

export interface OrgColumns {
  org_id: string;
  name: string;
  plan: string | null;
  created_at: string;
}

export function orgFromRecord(r: OrgColumns): OrgRow {
  return { orgId: r.org_id, name: r.name, plan: r.plan, createdAt: r.created_at };
}

export const ORG_KEY_COLUMNS = 'org_id, version, master_key_id, wrapped, created_at';

export interface OrgKeyColumns {
  org_id: string;
  version: number;
  master_key_id: string;
  wrapped: Buffer;
  created_at: string;
}

export function orgKeyFromRecord(r: OrgKeyColumns): OrgKeyRow {
  return {
    orgId: r.org_id,
    version: r.version,
    masterKeyId: r.master_key_id,
    wrapped: r.wrapped,
    createdAt: r.created_at,
  };
}

export interface CredentialColumns {
  org_id: string;
  module_id: string;
  key_version: number;
  aad_version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  field_names: unknown;
  created_at: string;
  updated_at: string;
}

export function credentialFromRecord(r: CredentialColumns, fieldNames: string[]): CredentialRow {
  return {
    orgId: r.org_id,
    moduleId: r.module_id,
    keyVersion: r.key_version,
    aadVersion: r.aad_version,
    nonce: r.nonce,
    ciphertext: r.ciphertext,
    fieldNames,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const MODULE_COLUMNS =
  'org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at, failure_count, success_count, consecutive_failures, last_failure_at, last_used_at';

export interface ModuleColumns {
  org_id: string;
  module_id: string;
  name: string;
  category: string;
  platform: string;
  version: string;
  status: string;
  health_status: string;
  manifest: unknown;
  installed_at: string;
  updated_at: string;
  failure_count: number;
  success_count: number;
  consecutive_failures: number;
  last_failure_at: string | null;
  last_used_at: string | null;
}

export function moduleFromRecord(r: ModuleColumns, manifest: Record<string, unknown>): ModuleRow {
  return {
    orgId: r.org_id,
    moduleId: r.module_id,
    name: r.name,
    category: r.category,
    platform: r.platform,
    version: r.version,
    status: r.status as ModuleStatus,
    healthStatus: r.health_status as HealthStatus,
    manifest,
    installedAt: r.installed_at,
    updatedAt: r.updated_at,
    failureCount: r.failure_count,
    successCount: r.success_count,
    consecutiveFailures: r.consecutive_failures,
    lastFailureAt: r.last_failure_at,
    lastUsedAt: r.last_used_at,
  };
}

/** The parameters of a full module row, in MODULE_COLUMNS order (JSON as text: both engines take it). */
export function moduleValues(orgId: string, m: ModuleImport): unknown[] {
  return [
    orgId,
    m.moduleId,
    m.name,
    m.category,
    m.platform,
    m.version,
    m.status,
    m.healthStatus,
    JSON.stringify(m.manifest),
    m.installedAt,
    m.updatedAt,
    m.failureCount,
    m.successCount,
    m.consecutiveFailures,
    m.lastFailureAt,
    m.lastUsedAt,
  ];
}

export const API_KEY_COLUMNS =
  'key_id, org_id, hash, legacy, role, name, status, created_at, created_by, expires_at, grace_until, revoked_at, last_used_at, rotated_to, rate_limit_per_minute';

export interface ApiKeyColumns {
  key_id: string;
  org_id: string;
  hash: string;
  legacy: unknown;
  role: string;
  name: string | null;
  status: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  grace_until: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  rotated_to: string | null;
  rate_limit_per_minute: number | null;
}

export function apiKeyFromRecord(r: ApiKeyColumns): ApiKeyRow {
  return {
    keyId: r.key_id,
    orgId: r.org_id,
    hash: r.hash,
    legacy: Boolean(r.legacy),
    role: r.role as Role,
    name: r.name,
    status: r.status as ApiKeyStatus,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    graceUntil: r.grace_until,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    rotatedTo: r.rotated_to,
    rateLimitPerMinute: r.rate_limit_per_minute,
  };
}

/** The parameters of an API key row, in API_KEY_COLUMNS order (`legacy` as 1/0: both engines take it). */
export function apiKeyValues(k: ApiKeyRow): unknown[] {
  return [
    k.keyId,
    k.orgId,
    k.hash,
    k.legacy ? 1 : 0,
    k.role,
    k.name,
    k.status,
    k.createdAt,
    k.createdBy,
    k.expiresAt,
    k.graceUntil,
    k.revokedAt,
    k.lastUsedAt,
    k.rotatedTo,
    k.rateLimitPerMinute,
  ];
}

export const AUDIT_COLUMNS =
  'org_id, seq, at, actor_key_id, action, target_type, target_id, request_id, outcome, details, prev_hash, hash';

export interface AuditColumns {
  org_id: string;
  seq: number;
  at: string;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  outcome: string;
  details: unknown;
  prev_hash: string;
  hash: string;
}

export function auditFromRecord(r: AuditColumns, details: Record<string, unknown>): AuditRow {
  return {
    orgId: r.org_id,
    seq: r.seq,
    at: r.at,
    actorKeyId: r.actor_key_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    requestId: r.request_id,
    outcome: r.outcome as AuditRow['outcome'],
    details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** The parameters of an audit row of `orgId`, in AUDIT_COLUMNS order. */
export function auditValues(orgId: string, e: Omit<AuditRow, 'orgId'>): unknown[] {
  return [
    orgId,
    e.seq,
    e.at,
    e.actorKeyId,
    e.action,
    e.targetType,
    e.targetId,
    e.requestId,
    e.outcome,
    JSON.stringify(e.details),
    e.prevHash,
    e.hash,
  ];
}
