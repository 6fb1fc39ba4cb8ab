/**
 * Storage interfaces, one per area, named after what the services need (never a generic find).
 *
 * Rules every store keeps:
 * - every tenant-facing method takes `orgId` first and filters by it in the query itself;
 * - stores only read and write and convert rows at their edge; services hold the rules;
 * - methods are async so that SQLite (synchronous underneath) and PostgreSQL share one interface.
 */
import type { AgentState, ToolResult } from '../agent/state.js';
import type { ModuleStatus } from '../modules/module-statuses.js';
import type {
  ApiKeyRow,
  AuditLink,
  AuditPage,
  AuditRow,
  CheckpointRow,
  CredentialRow,
  CredentialWrite,
  HealthUpdate,
  LangGraphChannelValueRow,
  LangGraphCheckpointQuery,
  LangGraphCheckpointRow,
  LangGraphCheckpointWrite,
  LangGraphHomesRow,
  LangGraphWriteRow,
  MasterKeyCheckRow,
  ModuleFilter,
  ModuleImport,
  ModuleRow,
  ModuleWrite,
  OAuthConnectionRow,
  OAuthStateRow,
  OrgKeyRow,
  OrgRow,
  SealedCredential,
  ToolResultRow,
} from './rows.js';

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
  /**
   * The row a write is about to change, and whether credentials are stored for it, in one
   * statement. PostgreSQL locks the row until the transaction ends: a reinstall and a credential
   * store of one module then run one after the other (SQLite serialises them anyway).
   * `hasCredential` is exact on SQLite (one writer); on PostgreSQL it is read under the statement's
   * snapshot, taken before the lock was granted, so it is only the upsert's `existed` hint, which
   * that engine ignores (it reads xmax): a rule must read the credential in a statement of its own.
   */
  findModuleForWrite(
    orgId: string,
    moduleId: string,
  ): Promise<{ row: ModuleRow; hasCredential: boolean } | null>;
  /**
   * As findModuleForWrite (the same lock, the same `hasCredential`), for a credential store, which
   * needs only the module's manifest and whether it replaces credentials: no full row to read and build.
   */
  findManifestForWrite(
    orgId: string,
    moduleId: string,
  ): Promise<{ manifest: Record<string, unknown>; hasCredential: boolean } | null>;
  /**
   * The same lock, returning the manifest alone (a reinstall, a credential delete, a token renewal's
   * re-check): these read the credential, when they need it, in a statement of their own.
   */
  lockManifest(orgId: string, moduleId: string): Promise<Record<string, unknown> | null>;
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
  /** Modules of one org that are unhealthy (module-statuses.ts) or have failed at least `failureThreshold` times. */
  listUnhealthyModules(orgId: string, failureThreshold: number): Promise<ModuleRow[]>;
  /** System: the same across every org (the health sweep). */
  listUnhealthyModulesOfAllOrgs(failureThreshold: number): Promise<ModuleRow[]>;
}

export interface CredentialStore {
  findCredential(orgId: string, moduleId: string): Promise<CredentialRow | null>;
  /**
   * The sealed credential and its module's manifest (what it opens for), or null when none is
   * stored: only what opening it needs (retrieve runs on every agent call that uses credentials).
   */
  findCredentialWithManifest(
    orgId: string,
    moduleId: string,
  ): Promise<{ row: SealedCredential; manifest: Record<string, unknown> } | null>;
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
  insertOrgKey(orgId: string, row: Omit<OrgKeyRow, 'orgId'>): Promise<boolean>;
  /** Master-key rotation: replace the wrapping of one data key. */
  rewrapOrgKey(orgId: string, version: number, masterKeyId: string, wrapped: Buffer): Promise<void>;
  /** System: every org key of every org. */
  listAllOrgKeys(): Promise<OrgKeyRow[]>;
  /** System: distinct master key ids that wrap at least one org key. */
  listMasterKeyIdsInUse(): Promise<string[]>;
  /** Deleting an org: destroys every version of its data key; returns how many. */
  deleteOrgKeys(orgId: string): Promise<number>;
}

export interface MasterKeyStore {
  findMasterKeyCheck(keyId: string): Promise<MasterKeyCheckRow | null>;
  insertMasterKeyCheck(row: MasterKeyCheckRow): Promise<boolean>;
}

export interface ApiKeyStore {
  insertApiKey(orgId: string, row: Omit<ApiKeyRow, 'orgId'>): Promise<void>;
  /** Auth path (no org known yet): lookup by key id across orgs. */
  findApiKeyForAuth(keyId: string): Promise<ApiKeyRow | null>;
  /** Auth scope: the key's row and when it last signed out of the console (its older sessions end). */
  findApiKeyForConsole(keyId: string): Promise<{ key: ApiKeyRow; consoleSignedOutAt: string | null } | null>;
  /** Records a console sign-out of this key: every session it opened before `at` ends. */
  markConsoleSignOut(orgId: string, keyId: string, at: string): Promise<void>;
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
  lockBootstrap(): void;
}

export interface AuditStore {
  /**
   * Appends of one org's chain are serialised: hold this org's chain until the transaction ends
   * (SQLite: its writer is serialised already; PostgreSQL: an advisory lock sent with the next
   * statement, so the read of the chain head that follows sees the previous appender's commit).
   */
  lockChain(orgId: string): void;
  /** Sequence number and hash of the org's newest event (all an append needs), or null. */
  lastAuditLink(orgId: string): Promise<AuditLink | null>;
  /** May travel with the transaction's next statement or its COMMIT (its failure still rolls back). */
  insertAuditEvent(orgId: string, row: Omit<AuditRow, 'orgId'>): void;
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
  saveCheckpoint(orgId: string, conversationId: string, state: AgentState, now: string): Promise<number>;
}

/** Every tool result of an org's conversations, one row each, numbered from 1 per conversation. */
export interface ToolResultStore {
  /** The highest seq stored for the conversation, 0 when none. */
  lastSeq(orgId: string, conversationId: string): Promise<number>;
  append(orgId: string, conversationId: string, seq: number, result: ToolResult, now: string): Promise<void>;
  /** Up to `limit` results with seq > after, oldest first. */
  page(orgId: string, conversationId: string, after: number, limit: number): Promise<ToolResultRow[]>;
}

/** LangGraph threads of an org (rows arrive sealed; src/langgraph/thread-service.ts seals and opens). */
export interface LangGraphStore {
  /**
   * Insert, or replace the checkpoint stored under the same id. Deferred, as are the other puts:
   * PostgreSQL sends a whole put with the transaction's COMMIT, in one round trip.
   */
  putCheckpoint(orgId: string, row: LangGraphCheckpointWrite): void;
  /**
   * The checkpoint (with a null id the thread namespace's newest) and its pending writes in
   * LangGraph's order (task path, task id, index), in one statement; null when there is none.
   */
  findCheckpointWithWrites(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<{ checkpoint: LangGraphCheckpointRow; writes: LangGraphWriteRow[] } | null>;
  /** These checkpoints of the thread namespace (those absent are left out), in one statement. */
  findCheckpoints(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointIds: readonly string[],
  ): Promise<LangGraphCheckpointRow[]>;
  /** The channel homes of these checkpoints (a put's parent, or every one of the namespace when `checkpointId` is null), newest first. */
  findChannelHomes(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string | null,
  ): Promise<LangGraphHomesRow[]>;
  /** Newest first. */
  listCheckpoints(orgId: string, query: LangGraphCheckpointQuery): Promise<LangGraphCheckpointRow[]>;
  /** Values stored before migration 8, of these (channel, version) pairs, in one statement; pairs never stored are absent. */
  findChannelValues(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    versions: ReadonlyArray<readonly [channel: string, version: string]>,
  ): Promise<LangGraphChannelValueRow[]>;
  /** With replace, overwrites the same (task, idx); otherwise an existing one is kept. */
  putWrite(orgId: string, row: LangGraphWriteRow, replace: boolean): void;
  /** In LangGraph's order: task path, task id, index. */
  findWrites(
    orgId: string,
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
  ): Promise<LangGraphWriteRow[]>;
  /** Every namespace of the thread, in this org only; the number of rows deleted. */
  deleteThread(orgId: string, threadId: string): Promise<number>;
}

export interface OAuthStore {
  insertOAuthState(orgId: string, row: Omit<OAuthStateRow, 'orgId'>): Promise<void>;
  /**
   * Auth scope (the callback knows no org yet): deletes the state with this hash and returns it,
   * so a state is used at most once even when two callbacks race; null when absent.
   */
  consumeOAuthState(stateHash: string): Promise<OAuthStateRow | null>;
  /** Drops this org's states that expired before `now` (kept small by every authorize). */
  deleteExpiredOAuthStates(orgId: string, now: string): Promise<void>;
  findOAuthConnection(orgId: string, moduleId: string): Promise<OAuthConnectionRow | null>;
  /** Insert or replace; the module's credentials row must exist (the tokens are sealed in it). */
  upsertOAuthConnection(orgId: string, row: Omit<OAuthConnectionRow, 'orgId'>): Promise<void>;
  setOAuthConnectionStatus(
    orgId: string,
    moduleId: string,
    status: OAuthConnectionRow['status'],
    now: string,
  ): Promise<boolean>;
  deleteOAuthConnection(orgId: string, moduleId: string): Promise<boolean>;
}

/** Deleting an org: every row of it but its data keys (those go first, see OrgKeyStore). */
export interface OrgRowStore {
  /** Deletes every other row of the org, table by table; returns the count per table. */
  deleteRows(orgId: string): Promise<Record<string, number>>;
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
  toolResults: ToolResultStore;
  langgraph: LangGraphStore;
  oauth: OAuthStore;
  orgRows: OrgRowStore;
  /**
   * Runs the callback once this unit of work has committed (at once for a read), never after a
   * rollback: lets a cache remember only what is really stored (e.g. an org data key created or
   * read back inside a transaction that may still fail).
   */
  afterCommit(callback: () => void): void;
}
