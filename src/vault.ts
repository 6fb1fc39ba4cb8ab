import type { AgentLogger } from './agent/agent-logger.js';
import type { BuiltinCatalogue } from './agent/builtin-modules.js';
import { createConversationService } from './agent/create-conversation-service.js';
import { OrgConversations } from './agent/org-conversations.js';
import {
  type AuditCheckpoint,
  AuditCheckpoints,
  type CheckpointVerification,
} from './audit/audit-checkpoint.js';
import { type ActorContext, AuditLog, LIBRARY_ACTOR } from './audit/audit-log.js';
import { AuditSigningKeys } from './audit/audit-signing-keys.js';
import { DeniedAudit } from './audit/denied-audit.js';
import { OrgAudit } from './audit/org-audit.js';
import { ApiKeyService } from './auth/api-key-service.js';
import { Bootstrapper } from './auth/bootstrap.js';
import { KeyVerifier } from './auth/key-verifier.js';
import { OrgApiKeys } from './auth/org-api-keys.js';
import { VaultAuth } from './auth/vault-auth.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, type ConfigOverrides, loadConfig } from './config.js';
import { ConsoleSessions, sessionKeyFrom } from './console/session.js';
import { CredentialService } from './credentials/credential-service.js';
import { OrgCredentials } from './credentials/org-credentials.js';
import { loadMasterKeys, MasterKeyring } from './crypto/master-keyring.js';
import { OrgKeyService } from './crypto/org-keys.js';
import { DEFAULT_ORG, type OrgId, orgIdOf } from './ids.js';
import { OrgLangGraph } from './langgraph/org-langgraph.js';
import { LangGraphThreadService } from './langgraph/thread-service.js';
import { DEFAULT_FAILURE_THRESHOLD } from './modules/module-health.js';
import type { ModuleRecord } from './modules/module-record.js';
import { ModuleService } from './modules/module-service.js';
import { OrgModules } from './modules/org-modules.js';
import type { OutboundRules } from './oauth/guarded-fetch.js';
import { OAuthService } from './oauth/oauth-service.js';
import { OrgOAuth } from './oauth/org-oauth.js';
import { TokenBroker } from './oauth/token-broker.js';
import { type CreateOrgOptions, OrgDirectory } from './orgs/org-directory.js';
import { openStorage } from './storage/open-storage.js';
import type { OrgRow } from './storage/rows.js';
import { VAULT_INTERNALS, type VaultServices } from './vault-internals.js';

export interface OpenVaultOptions extends ConfigOverrides {
  /** A complete Config (the CLI and server pass theirs); overrides and env fill the rest otherwise. */
  config?: Config;
  /** Injected time, for tests of expiry and grace periods. */
  clock?: Clock;
  /** Where warnings (such as a generated master key) go; stderr by default. */
  warn?: (message: string) => void;
  /** Built-in module handlers for the agent runtime (`demo/echo` by default). */
  builtins?: BuiltinCatalogue;
  /** Where the agent runtime reports invocations (ids and codes only); silent by default. */
  agentLogger?: AgentLogger;
}

/** Everything one org may do. Obtained from vault.org(id); never reaches another org's rows. */
export class OrgVault {
  readonly orgId: OrgId;
  readonly modules: OrgModules;
  readonly credentials: OrgCredentials;
  readonly keys: OrgApiKeys;
  readonly conversations: OrgConversations;
  readonly audit: OrgAudit;
  /** The org's LangGraph threads, as `OrgvaultSaver` (`orgvault/langgraph`) keeps them. */
  readonly langgraph: OrgLangGraph;
  /** The org's OAuth2 connections (authorize, status). */
  readonly oauth: OrgOAuth;

  /** `orgId` has been checked (see Vault.org); `actor` is who acts through this handle. */
  constructor(services: VaultServices, orgId: OrgId, actor: ActorContext) {
    this.orgId = orgId;
    this.modules = new OrgModules(services.modules, orgId, actor);
    this.credentials = new OrgCredentials(services.credentials, orgId, actor);
    this.keys = new OrgApiKeys(services.apiKeys, orgId, actor);
    this.conversations = new OrgConversations(services.conversations, orgId, actor);
    this.audit = new OrgAudit(services, orgId);
    this.langgraph = new OrgLangGraph(services.langgraph, orgId);
    this.oauth = new OrgOAuth(services.oauth, orgId, actor);
  }
}

/** The deliberate cross-org operations. Only the library and the local CLI hold this handle. */
export class SystemVault {
  constructor(private readonly s: VaultServices) {}

  createOrg(orgId: string, options: CreateOrgOptions = {}): Promise<OrgRow> {
    return this.s.orgs.create(orgId, options);
  }
  listOrgs(): Promise<OrgRow[]> {
    return this.s.orgs.list();
  }
  recordUsage(orgId: string, moduleId: string): Promise<boolean> {
    return this.s.modules.recordUsage(orgIdOf(orgId), moduleId);
  }
  updateHealth(
    orgId: string,
    moduleId: string,
    health: string,
    options: { failure?: boolean } = {},
  ): Promise<boolean> {
    return this.s.modules.updateHealth(orgIdOf(orgId), moduleId, health, options);
  }
  listUnhealthy(options: { failureThreshold?: number } = {}): Promise<ModuleRecord[]> {
    return this.s.modules.listUnhealthyAcrossOrgs(options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
  }
  /** `onProgress(done, total)` is told as the org keys are re-wrapped (the CLI's progress bar). */
  rotateMasterKey(
    options: { onProgress?: (done: number, total: number) => void } = {},
  ): Promise<{ rewrapped: number; masterKeyId: string }> {
    return this.s.orgKeys.rotateMasterKey(options.onProgress);
  }
  verifyAuditChain(orgId: string) {
    return this.s.audit.verify(orgId);
  }
  /** A signed checkpoint of the org's audit chain as it is now. */
  auditCheckpoint(orgId: string): Promise<AuditCheckpoint> {
    return this.s.checkpoints.issue(orgId);
  }
  /** Checks a kept checkpoint (its JSON) against the org's chain: catches deleted or rewritten tails. */
  verifyAuditCheckpoint(orgId: string, checkpoint: unknown): Promise<CheckpointVerification> {
    return this.s.checkpoints.verify(orgId, checkpoint);
  }
}

export class Vault {
  readonly #services: VaultServices;
  readonly system: SystemVault;
  /** Key verification and bootstrap. */
  readonly auth: VaultAuth;
  private closed = false;
  private readonly handles = new Map<string, OrgVault>();

  constructor(services: VaultServices) {
    this.#services = services;
    this.system = new SystemVault(services);
    this.auth = new VaultAuth(services.keyVerifier, services.bootstrapper);
  }

  /** Not library API: the services behind the doors, read through internalsOf() (vault-internals.ts). */
  get [VAULT_INTERNALS](): VaultServices {
    return this.#services;
  }

  get config(): Config {
    return this.#services.config;
  }

  /** The database engine this vault runs on. */
  get engine(): 'sqlite' | 'postgres' {
    return this.#services.storage.capabilities.engine;
  }

  /**
   * The OAuth2 callback (`GET /v1/oauth/callback`): no org and no key, the state names both. It is
   * checked and used up, the code exchanged and the tokens sealed; OAUTH_AUTHORIZATION_FAILED otherwise.
   */
  completeOAuth(
    params: URLSearchParams,
    requestId: string | null = null,
  ): Promise<{ orgId: string; moduleId: string; returnTo: string | null }> {
    return this.#services.oauth.complete(params, requestId);
  }

  /** One single-row read: resolves when the database answers, throws when it does not. */
  async ping(): Promise<void> {
    await this.#services.orgs.get(DEFAULT_ORG);
  }

  /** The keys that verify audit checkpoints, newest (the signing key) first. They are public keys. */
  auditPublicKeys(): Array<{ key_id: string; algorithm: 'Ed25519'; public_key: string }> {
    return this.#services.checkpoints.publicKeys();
  }

  /**
   * The handle of one org; with no id, the `default` org (single-tenant callers keep working).
   * The id is checked here; whether the org exists is checked by each operation (ORG_NOT_FOUND).
   */
  org(orgId: string = DEFAULT_ORG, actor: ActorContext = LIBRARY_ACTOR): OrgVault {
    if (actor !== LIBRARY_ACTOR) return new OrgVault(this.#services, orgIdOf(orgId), actor);
    // Library handles carry no per-request state, so one per org is reused (bounded like other caches).
    let handle = this.handles.get(orgId);
    if (handle === undefined) {
      const checked = orgIdOf(orgId);
      if (this.handles.size >= 10_000) this.handles.clear();
      handle = new OrgVault(this.#services, checked, actor);
      this.handles.set(orgId, handle);
    }
    return handle;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.#services.storage.close();
  }
}

/** Opens (and migrates) the database, checks the master keys, makes sure `default` exists. */
export async function openVault(options: OpenVaultOptions = {}): Promise<Vault> {
  const { config: given, clock = systemClock, warn, builtins, agentLogger, ...overrides } = options;
  const config = given ?? loadConfig(overrides);
  const keyring = new MasterKeyring(
    loadMasterKeys({
      masterKey: config.masterKey,
      dataDir: config.dataDir,
      production: config.production,
      ...(warn ? { warn } : {}),
    }),
  );
  const auditKeys = new AuditSigningKeys({
    auditSigningKey: config.auditSigningKey,
    dataDir: config.dataDir,
    production: config.production,
    ...(warn ? { warn } : {}),
  });
  const storage = await openStorage(config.databaseUrl, {
    databaseOwnerUrl: config.databaseOwnerUrl,
    warn,
    preparedStatements: config.pgPreparedStatements,
  });
  try {
    const now = () => clock().toISOString();
    const audit = new AuditLog(storage);
    const checkpoints = new AuditCheckpoints({ audit, keys: auditKeys, clock });
    const deniedAudit = new DeniedAudit({ storage, audit, clock });
    const orgs = new OrgDirectory(storage, audit, clock);
    const orgKeys = new OrgKeyService(storage, keyring, now);
    await orgKeys.verifyKeyring();
    await orgs.ensureDefault();
    const rules: OutboundRules = {
      allowPrivate: config.httpAllowPrivate,
      maxResponseBytes: config.httpMaxResponseBytes,
      timeoutMs: config.httpTimeoutMs,
    };
    const credentials = new CredentialService({ storage, orgs, orgKeys, audit, clock });
    // Rows sealed before credentials were bound to their destination: bound now, once.
    await credentials.upgradeLegacySeals();
    const modules = new ModuleService({ storage, orgs, audit, clock, credentials });
    const apiKeys = new ApiKeyService({ storage, orgs, audit, clock });
    const keyVerifier = new KeyVerifier({ storage, clock });
    const bootstrapper = new Bootstrapper({ storage, orgs, keys: apiKeys, audit, clock });
    const oauth = new OAuthService({
      storage,
      orgs,
      credentials,
      audit,
      clock,
      rules,
      publicUrl: config.publicUrl,
    });
    // Disconnecting (deleting the credentials) also revokes the grant at the provider, if it can.
    credentials.onDeleted((manifest, moduleId, values) => oauth.revoke(manifest, moduleId, values));
    const tokens = new TokenBroker({ storage, credentials, audit, clock, rules });
    const conversations = createConversationService({
      tokens,
      config,
      storage,
      orgs,
      audit,
      credentials,
      clock,
      builtins,
      logger: agentLogger,
    });
    return new Vault({
      config,
      storage,
      clock,
      audit,
      checkpoints,
      deniedAudit,
      orgs,
      orgKeys,
      modules,
      credentials,
      apiKeys,
      keyVerifier,
      bootstrapper,
      conversations,
      oauth,
      langgraph: new LangGraphThreadService({ storage, orgs, orgKeys, clock }),
      consoleSessions: new ConsoleSessions({ storage, clock, key: sessionKeyFrom(keyring.primary.key) }),
    });
  } catch (err) {
    await storage.close();
    throw err;
  }
}
