import { VaultError } from '../errors.js';
import type { OrgId } from '../ids.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { AuditRow } from '../storage/rows.js';
import type { AuditCheckpoint, AuditCheckpoints } from './audit-checkpoint.js';
import { type AuditLog, type ChainVerification, MAX_SEQ } from './audit-log.js';

export interface AuditListOptions {
  /** How many events, newest first (default 50). */
  limit?: number | undefined;
  /** Only events with a smaller seq (the cursor of the next page). */
  before?: number | undefined;
}

const DEFAULT_LIST_LIMIT = 50;

/** One org's audit trail (`vault.org(id).audit`): read, signed checkpoints, export. */
export class OrgAudit {
  constructor(
    private readonly deps: { orgs: OrgDirectory; audit: AuditLog; checkpoints: AuditCheckpoints },
    private readonly orgId: OrgId,
  ) {}

  /** The org's events, newest first. */
  async list(options: AuditListOptions = {}): Promise<AuditRow[]> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new VaultError('VALIDATION_FAILED', 'limit must be a positive integer', { field: 'limit' });
    }
    await this.deps.orgs.require(this.orgId);
    return this.deps.audit.list(this.orgId, limit, options.before);
  }

  /** A signed checkpoint of the org's chain as it is now. */
  async checkpoint(): Promise<AuditCheckpoint> {
    await this.deps.orgs.require(this.orgId);
    return this.deps.checkpoints.issue(this.orgId);
  }

  /**
   * The org's events above seq `after`, oldest first, read from storage in bounded batches as they
   * are consumed. The org is checked before the first event is read.
   */
  async export(after = 0): Promise<AsyncIterable<AuditRow>> {
    // Bounded like list()'s `before`: PostgreSQL's seq is 32-bit, and a larger cursor must be a 400, not a 500.
    if (!Number.isSafeInteger(after) || after < 0 || after > MAX_SEQ) {
      throw new VaultError('VALIDATION_FAILED', `after must be an integer from 0 to ${MAX_SEQ}`, {
        field: 'after',
      });
    }
    await this.deps.orgs.require(this.orgId);
    return this.deps.audit.events(this.orgId, after);
  }

  /** Whether the org's hash chain is whole (the console's "chain check"; the CLI's audit verify). */
  async verify(): Promise<ChainVerification> {
    await this.deps.orgs.require(this.orgId);
    return this.deps.audit.verify(this.orgId);
  }
}
