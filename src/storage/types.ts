/**
 * Storage interfaces, one per area, named after what the services need (never a generic find).
 *
 * Rules every adapter keeps:
 * - every tenant-facing method takes `orgId` first and filters by it in the query itself;
 * - adapters only read and write and convert rows at their edge; services hold the rules;
 * - all timestamps cross this boundary as ISO-8601 UTC strings (`2026-01-02T03:04:05.678Z`);
 * - methods are async so that SQLite (synchronous underneath) and PostgreSQL share one interface.
 */

export const MODULE_STATUSES = [
  'pending',
  'validating',
  'validated',
  'approved',
  'installed',
  'disabled',
  'failed',
  'uninstalled',
] as const;
export type ModuleStatus = (typeof MODULE_STATUSES)[number];

export const HEALTH_STATUSES = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export interface OrgRow {
  orgId: string;
  name: string;
  plan: string | null;
  createdAt: string;
}

export interface ModuleRow {
  orgId: string;
  moduleId: string;
  name: string;
  category: string;
  platform: string;
  version: string;
  status: ModuleStatus;
  healthStatus: HealthStatus;
  /** The manifest as installed, unknown fields included. */
  manifest: Record<string, unknown>;
  installedAt: string;
  updatedAt: string;
  failureCount: number;
  successCount: number;
  /** Failures since the last success: drives the agent runtime's circuit breaker. */
  consecutiveFailures: number;
  lastFailureAt: string | null;
  lastUsedAt: string | null;
}

/** What install writes; counters and installedAt are kept by an upsert of an existing row. */
export interface ModuleWrite {
  moduleId: string;
  name: string;
  category: string;
  platform: string;
  version: string;
  status: ModuleStatus;
  healthStatus: HealthStatus;
  manifest: Record<string, unknown>;
  now: string;
}

/** A full row, for importers that must keep counters and timestamps as they were. */
export type ModuleImport = Omit<ModuleRow, 'orgId'>;

export interface ModuleFilter {
  status?: ModuleStatus | undefined;
  category?: string | undefined;
}

export interface HealthUpdate {
  health: HealthStatus;
  /** Counts one failure (failure_count and consecutive_failures) when true; resets the streak when false. */
  failure: boolean;
  now: string;
}

export interface CredentialRow {
  orgId: string;
  moduleId: string;
  /** Version of the org data key that sealed this row. */
  keyVersion: number;
  /**
   * Layout of the associated data the row was sealed with: 1 = org, module and key version (rows
   * written before destinations were bound; upgraded once at open), 2 = those plus the destination.
   */
  aadVersion: number;
  nonce: Buffer;
  /** AES-256-GCM ciphertext with its 16-byte tag appended. */
  ciphertext: Buffer;
  /** Names of the stored fields (never values): served as credential metadata without decrypting. */
  fieldNames: string[];
  createdAt: string;
  updatedAt: string;
}

export type CredentialWrite = Omit<CredentialRow, 'orgId' | 'createdAt' | 'updatedAt'> & {
  now: string;
  /** Importers keep the original creation time. */
  createdAt?: string;
};

export interface OrgKeyRow {
  orgId: string;
  version: number;
  masterKeyId: string;
  /** nonce | ciphertext | tag of the data key under the master key. */
  wrapped: Buffer;
  createdAt: string;
}

export interface MasterKeyCheckRow {
  keyId: string;
  checkValue: Buffer;
  createdAt: string;
}

export type ApiKeyStatus = 'active' | 'rotation_pending' | 'revoked';

export interface ApiKeyRow {
  keyId: string;
  orgId: string;
  /** Hex SHA-256 of the secret part (or, for legacy NEXUS keys, of the whole plaintext). */
  hash: string;
  /** True for keys imported from NEXUS (no `ovk_` prefix): verified by hash lookup. */
  legacy: boolean;
  role: Role;
  name: string | null;
  status: ApiKeyStatus;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  graceUntil: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** Key that replaced this one by rotation. */
  rotatedTo: string | null;
  /** Requests per minute for this key; null means the configured default. */
  rateLimitPerMinute: number | null;
}

export interface AuditRow {
  orgId: string;
  /** Position in the org's chain, 1-based and gapless. */
  seq: number;
  at: string;
  actorKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  limit: number;
  /** Only events with seq below this one (pagination cursor). */
  beforeSeq?: number | undefined;
}

export interface CheckpointRow {
  orgId: string;
  conversationId: string;
  /** The serialised AgentState. */
  state: Record<string, unknown>;
  /** Incremented on every save. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface OrgStore {
  findOrg(orgId: string): Promise<OrgRow | null>;
  /** Inserts unless the org exists; true when inserted. */
  insertOrg(org: OrgRow): Promise<boolean>;
  /** Overwrites name, plan and created time (the NEXUS import adopting the `default` placeholder); true when found. */
  updateOrgDetails(org: OrgRow): Promise<boolean>;
  /** System: every org, ordered by id. */
  listOrgs(): Promise<OrgRow[]>;
}

export interface ModuleStore {
  findModule(orgId: string, moduleId: string): Promise<ModuleRow | null>;
  /** Ordered by category, then name, then module id. */
  listModules(orgId: string, filter: ModuleFilter): Promise<ModuleRow[]>;
  /**
   * Insert, or replace the manifest-derived columns of this org's row, keeping installedAt and
   * counters; a row whose status is `disabled` keeps that status. Returns the row as stored.
   */
  upsertModule(orgId: string, write: ModuleWrite): Promise<{ row: ModuleRow; created: boolean }>;
  /** Writes a full row as given (import); replaces an existing row of the same org. */
  importModule(orgId: string, row: ModuleImport): Promise<void>;
  /** Sets the status; false when it already had that status or the module is absent. */
  setModuleStatus(orgId: string, moduleId: string, status: ModuleStatus, now: string): Promise<boolean>;
  deleteModule(orgId: string, moduleId: string): Promise<boolean>;
  /** success_count + 1, last_used_at = now; false when absent. */
  recordUsage(orgId: string, moduleId: string, now: string): Promise<boolean>;
  updateHealth(orgId: string, moduleId: string, update: HealthUpdate): Promise<boolean>;
  /** Modules of one org (or, with orgId null, of every org: system only) that are unhealthy or degraded or have failed at least `failureThreshold` times. */
  listUnhealthyModules(orgId: string | null, failureThreshold: number): Promise<ModuleRow[]>;
}

export interface CredentialStore {
  findCredential(orgId: string, moduleId: string): Promise<CredentialRow | null>;
  upsertCredential(orgId: string, write: CredentialWrite): Promise<'created' | 'replaced'>;
  deleteCredential(orgId: string, moduleId: string): Promise<boolean>;
  /** Module ids with stored credentials, sorted. */
  listCredentialModuleIds(orgId: string): Promise<string[]>;
  /** System: every row still sealed with an older associated-data layout than `aadVersion`. */
  listCredentialsSealedBefore(aadVersion: number): Promise<CredentialRow[]>;
}

export interface OrgKeyStore {
  /** The newest data key version of the org, or null before its first credential. */
  findCurrentOrgKey(orgId: string): Promise<OrgKeyRow | null>;
  findOrgKey(orgId: string, version: number): Promise<OrgKeyRow | null>;
  /** Inserts unless that (org, version) exists; true when inserted (a racing creator loses and re-reads). */
  insertOrgKey(row: OrgKeyRow): Promise<boolean>;
  /** Master-key rotation: replace the wrapping of one data key. */
  rewrapOrgKey(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Promise<void>;
  /** System: every org key of every org. */
  listAllOrgKeys(): Promise<OrgKeyRow[]>;
  /** System: distinct master key ids that wrap at least one org key. */
  listMasterKeyIdsInUse(): Promise<string[]>;
}

export interface MasterKeyStore {
  findMasterKeyCheck(keyId: string): Promise<MasterKeyCheckRow | null>;
  insertMasterKeyCheck(row: MasterKeyCheckRow): Promise<boolean>;
}

export interface ApiKeyStore {
  insertApiKey(row: ApiKeyRow): Promise<void>;
  /** Auth path (no org known yet): lookup by key id across orgs. */
  findApiKeyForAuth(keyId: string): Promise<ApiKeyRow | null>;
  /** Auth path for legacy keys: lookup by hash of the whole plaintext. */
  findLegacyApiKeyByHash(hash: string): Promise<ApiKeyRow | null>;
  findApiKey(orgId: string, keyId: string): Promise<ApiKeyRow | null>;
  listApiKeys(orgId: string): Promise<ApiKeyRow[]>;
  /** Revoke now; false when absent in this org or already revoked. */
  revokeApiKey(orgId: string, keyId: string, now: string): Promise<boolean>;
  /** Marks an active key as rotation_pending until graceUntil; false unless it was active. */
  markApiKeyRotated(orgId: string, keyId: string, rotatedTo: string, graceUntil: string): Promise<boolean>;
  /** Auth path: last_used_at = now. */
  touchApiKey(keyId: string, now: string): Promise<void>;
  /** System: number of keys that would authenticate at `now` (bootstrap runs only while this is 0). */
  /**
   * Whether this deployment ever issued an API key: a key row exists (in any state) or the
   * deployment mark says one was issued (it outlives the rows, e.g. of a deleted org).
   */
  anyApiKeyEverIssued(): Promise<boolean>;
  /** Records, once, that the deployment has issued a key (in the transaction that issues it). */
  markApiKeyIssued(now: string): Promise<void>;
  /**
   * Bootstrap: hold every other bootstrap back until this transaction ends, so count-then-insert is
   * atomic (SQLite: a no-op, its transactions are already serialised; PostgreSQL: an advisory xact lock).
   */
  lockBootstrap(): Promise<void>;
}

export interface AuditStore {
  lastAuditEvent(orgId: string): Promise<AuditRow | null>;
  insertAuditEvent(row: AuditRow): Promise<void>;
  /** Newest first. */
  listAuditEvents(orgId: string, page: AuditPage): Promise<AuditRow[]>;
  /** Oldest first, the whole chain (for verification). */
  listAuditChain(orgId: string): Promise<AuditRow[]>;
  /** Oldest first, at most `limit` events with seq above `afterSeq`: walks a chain in bounded batches. */
  listAuditEventsAfter(orgId: string, afterSeq: number, limit: number): Promise<AuditRow[]>;
}

export interface CheckpointStore {
  /** With forUpdate, PostgreSQL locks the row until the transaction ends (SQLite transactions are serialised anyway). */
  findCheckpoint(
    orgId: string,
    conversationId: string,
    opts?: { forUpdate?: boolean },
  ): Promise<CheckpointRow | null>;
  /** Insert or replace; the version is incremented by the adapter. */
  saveCheckpoint(
    orgId: string,
    conversationId: string,
    state: Record<string, unknown>,
    now: string,
  ): Promise<number>;
}

/** Everything a transaction (or a read) can reach. */
export interface Repositories {
  orgs: OrgStore;
  modules: ModuleStore;
  credentials: CredentialStore;
  orgKeys: OrgKeyStore;
  masterKeys: MasterKeyStore;
  apiKeys: ApiKeyStore;
  audit: AuditStore;
  checkpoints: CheckpointStore;
  /**
   * Runs the callback once this unit of work has committed (at once for a read), never after a
   * rollback: lets a cache remember only what is really stored (e.g. an org data key created or
   * read back inside a transaction that may still fail).
   */
  afterCommit(callback: () => void): void;
}

/**
 * Who a unit of work runs as. PostgreSQL turns this into `SET LOCAL orgvault.org_id` (row-level
 * security); `system` is the deliberate cross-org path, taken only by vault.system and the CLI;
 * `auth` is the narrow path of key verification and bootstrap, before any org is known.
 */
export type Scope = { kind: 'org'; orgId: string } | { kind: 'system' } | { kind: 'auth' };

export interface StorageCapabilities {
  engine: 'sqlite' | 'postgres';
  /** The database itself refuses cross-org rows (PostgreSQL RLS). */
  rowLevelSecurity: boolean;
  /** Several processes may serve from this database at once. */
  multiNode: boolean;
}

export interface Storage {
  readonly capabilities: StorageCapabilities;
  /**
   * Runs fn in one transaction. The callback may await; no other transaction interleaves on SQLite
   * (queued, BEGIN IMMEDIATE). Throwing rolls everything back.
   */
  transaction<T>(scope: Scope, fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Runs reads with the scope applied; no write lock is taken. */
  read<T>(scope: Scope, fn: (r: Repositories) => Promise<T>): Promise<T>;
  /**
   * Optional capability: a value that changes whenever any write has been committed to the
   * database, by this process or another. Lets callers cache results derived from reads (the HTTP
   * module list) without ever serving stale data; engines that cannot tell cheaply leave it out
   * and callers then do not cache.
   */
  changeToken?(): string;
  close(): Promise<void>;
}

export const orgScope = (orgId: string): Scope => ({ kind: 'org', orgId });
export const SYSTEM_SCOPE: Scope = { kind: 'system' };
export const AUTH_SCOPE: Scope = { kind: 'auth' };
