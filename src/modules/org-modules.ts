import type { ActorContext } from '../audit/audit-log.js';
import type { OrgId } from '../ids.js';
import { DEFAULT_FAILURE_THRESHOLD } from './module-health.js';
import type { ModuleRecord } from './module-record.js';
import type { InstallResult, ListOptions, ModuleService } from './module-service.js';

/** One org's modules, as the library and the HTTP routes reach them (`vault.org(id).modules`). */
export class OrgModules {
  constructor(
    private readonly service: ModuleService,
    private readonly orgId: OrgId,
    private readonly actor: ActorContext,
  ) {}

  /** Upsert for this org only; the module as it now is. */
  async install(manifest: unknown): Promise<ModuleRecord> {
    return (await this.service.install(this.orgId, manifest, this.actor)).module;
  }
  /** Like install, also telling whether the module was created or an installed one replaced. */
  upsert(manifest: unknown): Promise<InstallResult> {
    return this.service.install(this.orgId, manifest, this.actor);
  }
  list(options: ListOptions = {}): Promise<ModuleRecord[]> {
    return this.service.list(this.orgId, options);
  }
  /** Null when the module is not installed in this org (another org's included). */
  get(moduleId: string): Promise<ModuleRecord | null> {
    return this.service.get(this.orgId, moduleId);
  }
  enable(moduleId: string): Promise<boolean> {
    return this.service.enable(this.orgId, moduleId, this.actor);
  }
  disable(moduleId: string): Promise<boolean> {
    return this.service.disable(this.orgId, moduleId, this.actor);
  }
  /** Removes the module and its credentials; false when it was not installed here. */
  uninstall(moduleId: string): Promise<boolean> {
    return this.service.uninstall(this.orgId, moduleId, this.actor);
  }
  listUnhealthy(options: { failureThreshold?: number } = {}): Promise<ModuleRecord[]> {
    return this.service.listUnhealthy(this.orgId, options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
  }
}
