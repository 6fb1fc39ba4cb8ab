import { type ActorContext, type AuditLog, LIBRARY_ACTOR } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { VaultError } from '../errors.js';
import { assertOrgId, DEFAULT_ORG } from '../ids.js';
import { type CreateOrgOptions, type OrgDirectory, orgDetails } from '../orgs/org-directory.js';
import { type Storage, SYSTEM_SCOPE } from '../storage/storage.js';
import type { IssuedApiKey } from './api-key-info.js';
import type { ApiKeyService } from './api-key-service.js';

/**
 * First keys: bootstrap (the very first owner key of an installation) and an org created together
 * with its first owner key. Both are single transactions; NEXUS checked and then inserted, so two
 * racing bootstraps could both win.
 */
export class Bootstrapper {
  private readonly storage: Storage;
  private readonly orgs: OrgDirectory;
  private readonly keys: ApiKeyService;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(deps: {
    storage: Storage;
    orgs: OrgDirectory;
    keys: ApiKeyService;
    audit: AuditLog;
    clock: Clock;
  }) {
    this.storage = deps.storage;
    this.orgs = deps.orgs;
    this.keys = deps.keys;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  /**
   * Creates `default` if missing and an owner key in it, on a deployment that never issued a key;
   * CONFLICT for ever after, even once every key is revoked or expired (an anonymous request must
   * never mint an owner key of an org that has data: recovery is the local CLI, `keys create`).
   */
  async bootstrap(actor: ActorContext = LIBRARY_ACTOR): Promise<IssuedApiKey> {
    return this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      await tx.apiKeys.lockBootstrap();
      const now = isoNow(this.clock);
      if (await tx.apiKeys.anyApiKeyEverIssued()) {
        throw new VaultError(
          'CONFLICT',
          'already bootstrapped: this deployment has issued API keys (a lost owner key is replaced with the local CLI: orgvault keys create)',
        );
      }
      if ((await tx.orgs.findOrg(DEFAULT_ORG)) === null) {
        await this.orgs.createIn(tx, DEFAULT_ORG, { name: 'Default organization', plan: null }, actor);
      }
      const issued = await this.keys.issueIn(
        tx,
        DEFAULT_ORG,
        { role: 'owner', name: 'bootstrap', expiresAt: null },
        actor,
      );
      await this.audit.append(
        tx,
        DEFAULT_ORG,
        actor,
        {
          action: 'auth.bootstrap',
          targetType: 'api_key',
          targetId: issued.keyId,
          details: { role: 'owner' },
        },
        now,
      );
      return issued;
    });
  }

  /** System (local CLI): a new org and its first owner key, in one transaction. */
  async createOrgWithOwner(
    orgId: string,
    options: CreateOrgOptions = {},
    actor: ActorContext = LIBRARY_ACTOR,
  ): Promise<IssuedApiKey> {
    assertOrgId(orgId);
    const { name, plan } = orgDetails(orgId, options);
    return this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      await this.orgs.createIn(tx, orgId, { name, plan }, actor);
      const issued = await this.keys.issueIn(
        tx,
        orgId,
        { role: 'owner', name: 'owner', expiresAt: null },
        actor,
      );
      await this.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'api_key.create',
          targetType: 'api_key',
          targetId: issued.keyId,
          details: { role: 'owner' },
        },
        issued.createdAt,
      );
      return issued;
    });
  }
}
