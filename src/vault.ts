import type { AgentLogger } from './agent/agent-logger.js';
import type { BuiltinCatalogue } from './agent/builtin-modules.js';
import type { ConversationService } from './agent/conversation-service.js';
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
import { ApiKeyService } from './auth/api-key-service.js';
import { Bootstrapper } from './auth/bootstrap.js';
import { KeyVerifier } from './auth/key-verifier.js';
import { OrgApiKeys } from './auth/org-api-keys.js';
import { VaultAuth } from './auth/vault-auth.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, type ConfigOverrides, loadConfig } from './config.js';
import { type CredentialMetadata, CredentialService } from './credentials/credential-service.js';
import type { CredentialValues } from './credentials/credential-values.js';
import { loadMasterKeys, MasterKeyring } from './crypto/master-keyring.js';
import { OrgKeyService } from './crypto/org-keys.js';
import { assertOrgId, DEFAULT_ORG } from './ids.js';
import type { ModuleRecord } from './modules/module-record.js';
import { type ListOptions, ModuleService } from './modules/module-service.js';
import { type CreateOrgOptions, OrgDirectory } from './orgs/org-directory.js';
import { openStorage } from './storage/open-storage.js';
import type { OrgRow } from './storage/rows.js';
import type { Storage } from './storage/storage.js';

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
}

/** One org's modules, as the library API exposes them. */
export class OrgModules {
  constructor(
    private readonly s: VaultServices,
    private readonly orgId: string,
    private readonly actor: ActorContext,
  ) {}

  async install(manifest: unknown): Promise<ModuleRecord> {
    return (await this.s.modules.install(this.orgId, manifest, this.actor)).module;
  }
  list(options: ListOptions = {}): Promise<ModuleRecord[]> {
    return this.s.modules.list(this.orgId, options);
  }
  get(moduleId: string): Promise<ModuleRecord | null> {
    return this.s.modules.get(this.orgId, moduleId);
  }
  enable(moduleId: string): Promise<boolean> {
    return this.s.modules.enable(this.orgId, moduleId, this.actor);
  }
  disable(moduleId: string): Promise<boolean> {
    return this.s.modules.disable(this.orgId, moduleId, this.actor);
  }
  uninstall(moduleId: string): Promise<boolean> {
    return this.s.modules.uninstall(this.orgId, moduleId, this.actor);
  }
  listUnhealthy(options: { failureThreshold?: number } = {}): Promise<ModuleRecord[]> {
    return this.s.modules.listUnhealthy(this.orgId, options.failureThreshold ?? 5);
  }
}

/** One org's credentials. */
export class OrgCredentials {
  constructor(
    private readonly s: VaultServices,
    private readonly orgId: string,
    private readonly actor: ActorContext,
  ) {}

  async store(moduleId: string, values: Record<string, unknown>): Promise<void> {
    await this.s.credentials.store(this.orgId, moduleId, values, this.actor);
  }
  retrieve(moduleId: string): Promise<CredentialValues | null> {
    return this.s.credentials.retrieve(this.orgId, moduleId);
  }
  has(moduleId: string): Promise<boolean> {
    return this.s.credentials.has(this.orgId, moduleId);
  }
  metadata(moduleId: string): Promise<CredentialMetadata | null> {
    return this.s.credentials.metadata(this.orgId, moduleId);
  }
  delete(moduleId: string): Promise<boolean> {
    return this.s.credentials.delete(this.orgId, moduleId, this.actor);
  }
  listModuleIds(): Promise<string[]> {
    return this.s.credentials.listModuleIds(this.orgId);
  }
}

/** Everything one org may do. Obtained from vault.org(id); never reaches another org's rows. */
export class OrgVault {
  readonly orgId: string;
  readonly modules: OrgModules;
  readonly credentials: OrgCredentials;
  readonly keys: OrgApiKeys;
  readonly conversations: OrgConversations;

  constructor(services: VaultServices, orgId: string, actor: ActorContext) {
    this.orgId = orgId;
    this.modules = new OrgModules(services, orgId, actor);
    this.credentials = new OrgCredentials(services, orgId, actor);
    this.keys = new OrgApiKeys(services.apiKeys, orgId, actor);
    this.conversations = new OrgConversations(services.conversations, orgId, actor);
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
    return this.s.modules.recordUsage(orgId, moduleId);
  }
  updateHealth(
    orgId: string,
    moduleId: string,
    health: string,
    options: { failure?: boolean } = {},
  ): Promise<boolean> {
    return this.s.modules.updateHealth(orgId, moduleId, health, options);
  }
  listUnhealthy(options: { failureThreshold?: number } = {}): Promise<ModuleRecord[]> {
    return this.s.modules.listUnhealthyAcrossOrgs(options.failureThreshold ?? 5);
  }
  rotateMasterKey(): Promise<{ rewrapped: number; masterKeyId: string }> {
    return this.s.orgKeys.rotateMasterKey();
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
  readonly services: VaultServices;
  readonly system: SystemVault;
  /** Key verification and bootstrap. */
  readonly auth: VaultAuth;
  private closed = false;
  private readonly handles = new Map<string, OrgVault>();

  constructor(services: VaultServices) {
    this.services = services;
    this.system = new SystemVault(services);
    this.auth = new VaultAuth(services.keyVerifier, services.bootstrapper);
  }

  get config(): Config {
    return this.services.config;
  }

  /**
   * The handle of one org; with no id, the `default` org (single-tenant callers keep working).
   * The id is checked here; whether the org exists is checked by each operation (ORG_NOT_FOUND).
   */
  org(orgId: string = DEFAULT_ORG, actor: ActorContext = LIBRARY_ACTOR): OrgVault {
    if (actor !== LIBRARY_ACTOR) {
      assertOrgId(orgId);
      return new OrgVault(this.services, orgId, actor);
    }
    // Library handles carry no per-request state, so one per org is reused (bounded like other caches).
    let handle = this.handles.get(orgId);
    if (handle === undefined) {
      assertOrgId(orgId);
      if (this.handles.size >= 10_000) this.handles.clear();
      handle = new OrgVault(this.services, orgId, actor);
      this.handles.set(orgId, handle);
    }
    return handle;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.services.storage.close();
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
  const storage = await openStorage(config.databaseUrl, { databaseOwnerUrl: config.databaseOwnerUrl, warn });
  try {
    const now = () => clock().toISOString();
    const audit = new AuditLog(storage);
    const checkpoints = new AuditCheckpoints({ audit, keys: auditKeys, clock });
    const deniedAudit = new DeniedAudit({ storage, audit, clock });
    const orgs = new OrgDirectory(storage, audit, clock);
    const orgKeys = new OrgKeyService(storage, keyring, now);
    await orgKeys.verifyKeyring();
    await orgs.ensureDefault();
    const credentials = new CredentialService({ storage, orgs, orgKeys, audit, clock });
    // Rows sealed before credentials were bound to their destination: bound now, once.
    await credentials.upgradeLegacySeals();
    const modules = new ModuleService({ storage, orgs, audit, clock, credentials });
    const apiKeys = new ApiKeyService({ storage, orgs, audit, clock });
    const keyVerifier = new KeyVerifier({ storage, clock });
    const bootstrapper = new Bootstrapper({ storage, orgs, keys: apiKeys, audit, clock });
    const conversations = createConversationService({
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
    });
  } catch (err) {
    await storage.close();
    throw err;
  }
}
