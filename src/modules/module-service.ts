import { type ActorContext, type AuditLog, actorMay } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { sameDestination } from '../credentials/credential-destination.js';
import type { CredentialService, HeldForRevoke } from '../credentials/credential-service.js';
import { VaultError } from '../errors.js';
import { assertModuleId, moduleIdOf, type OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { ModuleFilter } from '../storage/rows.js';
import { orgScope, type Storage, SYSTEM_SCOPE } from '../storage/storage.js';
import { parseManifestText } from './manifest.js';
import { checkFailureThreshold, DEFAULT_FAILURE_THRESHOLD, parseHealth } from './module-health.js';
import { type ModuleRecord, toModuleRecord } from './module-record.js';
import { MODULE_STATUSES, type ModuleStatus } from './module-statuses.js';

export interface InstallResult {
  module: ModuleRecord;
  created: boolean;
}

export interface ListOptions {
  status?: string | undefined;
  category?: string | undefined;
}

function parseFilter(options: ListOptions): ModuleFilter {
  const { status, category } = options;
  if (status !== undefined && !MODULE_STATUSES.includes(status as ModuleStatus)) {
    throw new VaultError('VALIDATION_FAILED', `status must be one of ${MODULE_STATUSES.join(', ')}`, {
      field: 'status',
    });
  }
  if (category !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(category)) {
    throw new VaultError('VALIDATION_FAILED', 'invalid category', { field: 'category' });
  }
  return { status: status as ModuleStatus | undefined, category };
}

/**
 * The module registry: lifecycle (install, enable, disable, uninstall) and health/usage counters.
 * Every method works on one org's rows; the cross-org ones are marked system and are reached only
 * through vault.system.
 */
export class ModuleService {
  private readonly storage: Storage;
  private readonly orgs: OrgDirectory;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly credentials: CredentialService;

  constructor(deps: {
    storage: Storage;
    orgs: OrgDirectory;
    audit: AuditLog;
    clock: Clock;
    credentials: CredentialService;
  }) {
    this.storage = deps.storage;
    this.orgs = deps.orgs;
    this.audit = deps.audit;
    this.clock = deps.clock;
    this.credentials = deps.credentials;
  }

  /**
   * Upsert for this org only. Re-installing keeps installed_at and the counters and replaces the
   * manifest; a module an operator disabled stays disabled (an upgrade must not silently re-enable it).
   *
   * A reinstall that moves the destination of stored credentials (base_url origin, auth section,
   * oauth2 token/revocation/authorization origins and pkce: credential-destination.ts) is credential work: without manage_credentials it is refused and nothing
   * changes (otherwise an operator could point an owner's secret at a server of its own); with it
   * the credentials are re-sealed for the new destination in this same transaction.
   */
  async install(orgId: OrgId, input: unknown, actor: ActorContext): Promise<InstallResult> {
    await this.orgs.require(orgId);
    const { manifest, text: manifestText } = parseManifestText(input);
    const moduleId = moduleIdOf(manifest.category, manifest.platform);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const now = isoNow(this.clock);
      // Locked: a credential store racing this reinstall waits, or is waited for, so the
      // destination check below sees the credentials it has to protect.
      const before = await tx.modules.lockManifest(orgId, moduleId);
      // Read after the lock, in a statement of its own: on PostgreSQL it then sees a credential
      // that a store holding the lock before us committed (the lock's own statement would not).
      const moves =
        before !== null &&
        !sameDestination(before, manifest) &&
        (await tx.credentials.findCredential(orgId, moduleId)) !== null;
      if (moves && !actorMay(actor, 'manage_credentials')) {
        throw new VaultError(
          'CREDENTIAL_DESTINATION',
          `module "${moduleId}" has stored credentials and this manifest changes where they are sent (base_url origin, http.auth, or oauth2 token_url, revocation_url or authorization_url origin or pkce); that needs the manage_credentials permission`,
          { field: 'http' },
        );
      }
      const { row, created } = await tx.modules.upsertModule(orgId, {
        moduleId,
        name: manifest.name,
        category: manifest.category,
        platform: manifest.platform,
        version: manifest.version,
        status: 'installed',
        healthStatus: 'unknown',
        manifest,
        manifestText,
        now,
        existed: before !== null,
      });
      if (moves && before !== null) {
        await this.credentials.resealForDestination(tx, orgId, moduleId, before, manifest);
      }
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'module.install',
          targetType: 'module',
          targetId: moduleId,
          details: {
            version: manifest.version,
            result: created ? 'created' : 'replaced',
            ...(moves ? { credentials_resealed: true } : {}),
          },
        },
        now,
      );
      return { module: toModuleRecord(row), created };
    });
  }

  async get(orgId: OrgId, moduleId: string): Promise<ModuleRecord | null> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    const row = await this.storage.read(orgScope(orgId), (r) => r.modules.findModule(orgId, moduleId));
    return row ? toModuleRecord(row) : null;
  }

  async list(orgId: OrgId, options: ListOptions = {}): Promise<ModuleRecord[]> {
    const filter = parseFilter(options);
    await this.orgs.require(orgId);
    const rows = await this.storage.read(orgScope(orgId), (r) => r.modules.listModules(orgId, filter));
    return rows.map(toModuleRecord);
  }

  enable(orgId: OrgId, moduleId: string, actor: ActorContext): Promise<boolean> {
    return this.changeStatus(orgId, moduleId, 'installed', 'module.enable', actor);
  }

  disable(orgId: OrgId, moduleId: string, actor: ActorContext): Promise<boolean> {
    return this.changeStatus(orgId, moduleId, 'disabled', 'module.disable', actor);
  }

  /**
   * Removes the module and its credentials in one transaction; false when it was not installed
   * here. The credentials go the way a credential delete takes them (the module row locked, so an
   * OAuth2 renewal in flight cannot write them back), and an OAuth2 grant is revoked after commit,
   * best effort, as on a credential delete.
   */
  async uninstall(orgId: OrgId, moduleId: string, actor: ActorContext): Promise<boolean> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    let held: HeldForRevoke | null = null;
    const removed = await this.storage.transaction(orgScope(orgId), async (tx) => {
      held = await this.credentials.takeForDelete(tx, orgId, moduleId);
      const hadCredentials = await tx.credentials.deleteCredential(orgId, moduleId);
      const removed = await tx.modules.deleteModule(orgId, moduleId);
      if (!removed) return false;
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'module.uninstall',
          targetType: 'module',
          targetId: moduleId,
          details: { credentials_removed: hadCredentials },
        },
        isoNow(this.clock),
      );
      return true;
    });
    if (removed) await this.credentials.afterDelete(moduleId, held);
    return removed;
  }

  /** Counts one successful use. */
  async recordUsage(orgId: OrgId, moduleId: string): Promise<boolean> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), (tx) =>
      tx.modules.recordUsage(orgId, moduleId, isoNow(this.clock)),
    );
  }

  /** Sets the health status; with failure, counts one failure (total and consecutive). */
  async updateHealth(orgId: OrgId, moduleId: string, health: string, options: { failure?: boolean } = {}) {
    assertModuleId(moduleId);
    const status = parseHealth(health);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), (tx) =>
      tx.modules.updateHealth(orgId, moduleId, {
        health: status,
        failure: options.failure === true,
        now: isoNow(this.clock),
      }),
    );
  }

  /** Unhealthy modules of one org. */
  async listUnhealthy(orgId: OrgId, failureThreshold = DEFAULT_FAILURE_THRESHOLD): Promise<ModuleRecord[]> {
    checkFailureThreshold(failureThreshold);
    await this.orgs.require(orgId);
    const rows = await this.storage.read(orgScope(orgId), (r) =>
      r.modules.listUnhealthyModules(orgId, failureThreshold),
    );
    return rows.map(toModuleRecord);
  }

  /** System: unhealthy modules of every org (the health sweep). */
  async listUnhealthyAcrossOrgs(failureThreshold = DEFAULT_FAILURE_THRESHOLD): Promise<ModuleRecord[]> {
    checkFailureThreshold(failureThreshold);
    const rows = await this.storage.read(SYSTEM_SCOPE, (r) =>
      r.modules.listUnhealthyModulesOfAllOrgs(failureThreshold),
    );
    return rows.map(toModuleRecord);
  }

  private async changeStatus(
    orgId: OrgId,
    moduleId: string,
    status: ModuleStatus,
    action: string,
    actor: ActorContext,
  ): Promise<boolean> {
    assertModuleId(moduleId);
    await this.orgs.require(orgId);
    return this.storage.transaction(orgScope(orgId), async (tx) => {
      const now = isoNow(this.clock);
      const changed = await tx.modules.setModuleStatus(orgId, moduleId, status, now);
      if (changed)
        await this.audit.append(tx, orgId, actor, { action, targetType: 'module', targetId: moduleId }, now);
      return changed;
    });
  }
}
