import { type ActorContext, type AuditLog, LIBRARY_ACTOR } from '../audit/audit-log.js';
import { type Clock, isoNow } from '../clock.js';
import { CONTROL_CHARACTERS, CONTROL_CHARACTERS_RULE } from '../control-chars.js';
import { VaultError } from '../errors.js';
import { assertOrgId, DEFAULT_ORG, type OrgId } from '../ids.js';
import type { OrgRow } from '../storage/rows.js';
import { orgScope, type Storage, SYSTEM_SCOPE } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';

export interface CreateOrgOptions {
  name?: string;
  plan?: string | null;
}

/** Name given to `default` when orgvault creates it; an importer may replace this placeholder. */
export const DEFAULT_ORG_NAME = 'Default organization';

/** Checks the name and plan of a new org (the name defaults to the id). */
export function orgDetails(orgId: string, options: CreateOrgOptions): { name: string; plan: string | null } {
  const name = options.name ?? orgId;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
    throw new VaultError('VALIDATION_FAILED', 'org name must be 1 to 200 characters', { field: 'name' });
  }
  if (CONTROL_CHARACTERS.test(name)) {
    throw new VaultError('VALIDATION_FAILED', `org name: ${CONTROL_CHARACTERS_RULE}`, { field: 'name' });
  }
  const plan = options.plan ?? null;
  if (plan !== null && (typeof plan !== 'string' || plan.length > 64 || CONTROL_CHARACTERS.test(plan))) {
    throw new VaultError(
      'VALIDATION_FAILED',
      'plan must be a string of at most 64 characters, without control characters',
      {
        field: 'plan',
      },
    );
  }
  return { name, plan };
}

/** Bound on remembered org ids; past it the set starts over (a cache, never the source of truth). */
const KNOWN_LIMIT = 10_000;

/**
 * Organizations: which exist, creating them, and the check every tenant operation starts with.
 * Orgs are never renamed or reused, so "this org exists" may be cached per process.
 */
export class OrgDirectory {
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly known = new Set<string>();

  constructor(storage: Storage, audit: AuditLog, clock: Clock) {
    this.storage = storage;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * Throws ORG_NOT_FOUND for an unknown org (the id was checked when it became an OrgId). A known
   * org answers without a promise (every tenant call starts here, so the common case costs no tick);
   * callers `await` the result either way.
   */
  require(orgId: OrgId, tx?: Repositories): Promise<void> | undefined {
    return this.known.has(orgId) ? undefined : this.lookup(orgId, tx);
  }

  private async lookup(orgId: OrgId, tx?: Repositories): Promise<void> {
    const org = tx
      ? await tx.orgs.findOrg(orgId)
      : await this.storage.read(orgScope(orgId), (r) => r.orgs.findOrg(orgId));
    if (org === null) throw new VaultError('ORG_NOT_FOUND', `organization "${orgId}" does not exist`);
    this.remember(orgId);
  }

  async get(orgId: string): Promise<OrgRow | null> {
    assertOrgId(orgId);
    return this.storage.read(orgScope(orgId), (r) => r.orgs.findOrg(orgId));
  }

  /** Creates an org (CONFLICT if it exists), with its first audit event, in one transaction. */
  async create(
    orgId: string,
    options: CreateOrgOptions = {},
    actor: ActorContext = LIBRARY_ACTOR,
  ): Promise<OrgRow> {
    assertOrgId(orgId);
    const { name, plan } = orgDetails(orgId, options);
    return this.storage.transaction(SYSTEM_SCOPE, (tx) => this.createIn(tx, orgId, { name, plan }, actor));
  }

  /** The creation step alone, for callers that already hold a transaction (bootstrap, import). */
  async createIn(
    tx: Repositories,
    orgId: string,
    options: { name: string; plan: string | null },
    actor: ActorContext,
  ): Promise<OrgRow> {
    const row: OrgRow = { orgId, name: options.name, plan: options.plan, createdAt: isoNow(this.clock) };
    if (!(await tx.orgs.insertOrg(row))) {
      throw new VaultError('CONFLICT', `organization "${orgId}" already exists`);
    }
    await this.audit.append(
      tx,
      orgId,
      actor,
      {
        action: 'org.create',
        targetType: 'org',
        targetId: orgId,
        details: { name: row.name, plan: row.plan },
      },
      row.createdAt,
    );
    // Known only once committed: a transaction (or its write group) that fails leaves no org to know.
    tx.afterCommit(() => this.remember(orgId));
    return row;
  }

  /** Creates `default` unless it exists: the org of callers that name none. */
  async ensureDefault(): Promise<void> {
    await this.storage.transaction(SYSTEM_SCOPE, async (tx) => {
      if ((await tx.orgs.findOrg(DEFAULT_ORG)) === null) {
        await this.createIn(tx, DEFAULT_ORG, { name: DEFAULT_ORG_NAME, plan: null }, LIBRARY_ACTOR);
      }
    });
    this.remember(DEFAULT_ORG);
  }

  /** System: every org. */
  async list(): Promise<OrgRow[]> {
    return this.storage.read(SYSTEM_SCOPE, (r) => r.orgs.listOrgs());
  }

  private remember(orgId: string): void {
    if (this.known.size >= KNOWN_LIMIT) this.known.clear();
    this.known.add(orgId);
  }
}
