/**
 * The rows that cross the storage boundary (camelCase; timestamps as ISO-8601 UTC strings).
 * Adapters convert to and from their columns at their edge (sql/records.ts).
 */
import type { AgentState, ToolResult } from '../agent/state.js';
import type { Role } from '../auth/roles.js';
import type { HealthStatus, ModuleStatus } from '../modules/module-statuses.js';

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
  /** `manifest` as JSON text, when the caller has serialised it already; else the store does. */
  manifestText?: string;
  now: string;
  /** Whether the row exists, as read earlier in this transaction (saves SQLite a lookup). */
  existed?: boolean;
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

/** What opening a credential needs: the sealed value and what its associated data names. */
export type SealedCredential = Pick<
  CredentialRow,
  'orgId' | 'moduleId' | 'keyVersion' | 'aadVersion' | 'nonce' | 'ciphertext'
>;

export type CredentialWrite = Omit<CredentialRow, 'orgId' | 'createdAt' | 'updatedAt'> & {
  now: string;
  /** Importers keep the original creation time. */
  createdAt?: string;
  /** Whether a credential row exists, as read earlier in this transaction (saves SQLite a lookup). */
  existed?: boolean;
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

/** What links the next event to the chain: the newest event's position and hash. */
export interface AuditLink {
  seq: number;
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
  /** The conversation's state as saved. */
  state: AgentState;
  /** Incremented on every save. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What every sealed LangGraph row carries: the data key version and AES-GCM output (see src/langgraph/thread-service.ts). */
export interface SealedColumns {
  keyVersion: number;
  nonce: Buffer;
  sealed: Buffer;
}

/** One stored tool result of a conversation; seq counts from 1 in call order. */
export interface ToolResultRow {
  seq: number;
  toolResult: ToolResult;
}

/**
 * One LangGraph checkpoint with the channel values it introduced, sealed under the org's data key.
 * `channelHomes` (JSON, see src/langgraph/channel-homes.ts) says which checkpoint row holds each of
 * its channels' values; null on rows written before migration 8, whose values are in lg_channel_values.
 */
/** A checkpoint row as read (its write time is kept for operators, never read back). */
export interface LangGraphCheckpointRow extends SealedColumns {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId: string | null;
  channelHomes: string | null;
}

/** A checkpoint row as put. */
export interface LangGraphCheckpointWrite extends LangGraphCheckpointRow {
  createdAt: string;
}

/** A checkpoint's channel homes (null: written before migration 8), as a put reads its parent's. */
export interface LangGraphHomesRow {
  checkpointId: string;
  channelHomes: string | null;
}

/** One version of one channel's value, in the layout before migration 8 (read only: no put writes it). */
export interface LangGraphChannelValueRow extends SealedColumns {
  threadId: string;
  checkpointNs: string;
  channel: string;
  version: string;
  checkpointId: string;
}

/** One pending write of a task against a checkpoint; channel and value are inside `sealed`. */
export interface LangGraphWriteRow extends SealedColumns {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  taskId: string;
  idx: number;
  taskPath: string;
}

/** Which checkpoints to list: null means any (thread, namespace); `before` is exclusive. */
export interface LangGraphCheckpointQuery {
  threadId: string | null;
  checkpointNs: string | null;
  checkpointId: string | null;
  before: string | null;
  limit: number | null;
}

/** A pending OAuth2 authorization (src/oauth/): found by the hash of its state, used once. */
export interface OAuthStateRow {
  orgId: string;
  stateHash: string;
  moduleId: string;
  /** The API key that asked for it (null: the library or the local CLI). */
  keyId: string | null;
  /** The PKCE verifier, sealed under a key derived from the state (src/oauth/oauth-state.ts). */
  verifierNonce: Buffer;
  verifierSealed: Buffer;
  returnTo: string | null;
  createdAt: string;
  expiresAt: string;
}

export type OAuthConnectionStatus = 'connected' | 'needs_reauth';

/** What may be shown about an OAuth2 connection; its tokens live sealed in the credentials row. */
export interface OAuthConnectionRow {
  orgId: string;
  moduleId: string;
  status: OAuthConnectionStatus;
  scopes: string[];
  expiresAt: string | null;
  connectedAt: string;
  updatedAt: string;
}
