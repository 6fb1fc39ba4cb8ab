import type { ActorContext } from '../audit/audit-log.js';
import type { OrgId } from '../ids.js';
import type { CredentialMetadata, CredentialService } from './credential-service.js';
import type { CredentialValues } from './credential-values.js';

/** One org's credentials, as the library and the HTTP routes reach them (`vault.org(id).credentials`). */
export class OrgCredentials {
  constructor(
    private readonly service: CredentialService,
    private readonly orgId: OrgId,
    private readonly actor: ActorContext,
  ) {}

  /** Stores or replaces; NOT_FOUND when the module is not installed in this org. */
  async store(moduleId: string, values: Record<string, unknown>): Promise<void> {
    await this.service.store(this.orgId, moduleId, values, this.actor);
  }
  retrieve(moduleId: string): Promise<CredentialValues | null> {
    return this.service.retrieve(this.orgId, moduleId);
  }
  has(moduleId: string): Promise<boolean> {
    return this.service.has(this.orgId, moduleId);
  }
  /** Field names and times, never values; null when none are stored. */
  metadata(moduleId: string): Promise<CredentialMetadata | null> {
    return this.service.metadata(this.orgId, moduleId);
  }
  delete(moduleId: string): Promise<boolean> {
    return this.service.delete(this.orgId, moduleId, this.actor);
  }
  listModuleIds(): Promise<string[]> {
    return this.service.listModuleIds(this.orgId);
  }
}
