import type { ConversationService } from './agent/conversation-service.js';
import type { AuditCheckpoints } from './audit/audit-checkpoint.js';
import type { AuditLog } from './audit/audit-log.js';
import type { DeniedAudit } from './audit/denied-audit.js';
import type { ApiKeyService } from './auth/api-key-service.js';
import type { Bootstrapper } from './auth/bootstrap.js';
import type { KeyVerifier } from './auth/key-verifier.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { ConsoleSessions } from './console/session.js';
import type { CredentialService } from './credentials/credential-service.js';
import type { OrgKeyService } from './crypto/org-keys.js';
import type { LangGraphThreadService } from './langgraph/thread-service.js';
import type { ModuleService } from './modules/module-service.js';
import type { OAuthService } from './oauth/oauth-service.js';
import type { OrgDirectory } from './orgs/org-directory.js';
import type { Storage } from './storage/storage.js';
import type { Vault } from './vault.js';

/** The services of one vault, built once from one Config (no module-level state anywhere). */
export interface VaultServices {
  config: Config;
  storage: Storage;
  clock: Clock;
  audit: AuditLog;
  /** Signed audit checkpoints (issue, verify, public keys). */
  checkpoints: AuditCheckpoints;
  /** Bounded auditing of refused (403) requests. */
  deniedAudit: DeniedAudit;
  orgs: OrgDirectory;
  orgKeys: OrgKeyService;
  modules: ModuleService;
  credentials: CredentialService;
  apiKeys: ApiKeyService;
  keyVerifier: KeyVerifier;
  bootstrapper: Bootstrapper;
  conversations: ConversationService;
  /** OAuth2 connections: authorize, callback, status, revocation. */
  oauth: OAuthService;
  /** LangGraph threads, sealed per org (OrgvaultSaver's storage). */
  langgraph: LangGraphThreadService;
  /** Web console sessions (cookie sealing, the per-request re-check of the key). */
  consoleSessions: ConsoleSessions;
}

/** The property key under which a Vault keeps its services; not exported from the package root. */
export const VAULT_INTERNALS: unique symbol = Symbol('orgvault.vault-internals');

/**
 * A vault's services, behind the tenant doors (`vault.org()`, `vault.system`, `vault.auth`). Not
 * library API (src/index.ts does not export it): for what is not a tenant door — the HTTP auth
 * hook (key verification with the storage change token, denied-request audit), the NEXUS importer,
 * the local CLI's maintenance commands — and for tests that look beneath the doors.
 */
export function internalsOf(vault: Vault): VaultServices {
  return vault[VAULT_INTERNALS];
}
