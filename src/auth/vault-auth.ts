import { type ActorContext, LIBRARY_ACTOR } from '../audit/audit-log.js';
import type { CreateOrgOptions } from '../orgs/org-directory.js';
import type { IssuedApiKey } from './api-key-info.js';
import type { Bootstrapper } from './bootstrap.js';
import type { KeyVerifier, VerifyResult } from './key-verifier.js';

/** `vault.auth`: key verification, bootstrap, and an org created with its first owner key. */
export class VaultAuth {
  constructor(
    private readonly verifier: KeyVerifier,
    private readonly bootstrapper: Bootstrapper,
  ) {}

  /** `{ok: true, orgId, keyId, role}` or `{ok: false, code}`; throws only on broken infrastructure. */
  async verify(apiKey: string): Promise<VerifyResult> {
    const r = await this.verifier.verify(apiKey);
    return r.ok ? { ok: true, orgId: r.orgId, keyId: r.keyId, role: r.role } : r;
  }

  /** The first owner key (in `default`), while no usable key exists; CONFLICT afterwards. */
  bootstrap(actor: ActorContext = LIBRARY_ACTOR): Promise<IssuedApiKey> {
    return this.bootstrapper.bootstrap(actor);
  }

  /** System: creates an org and its first owner key in one transaction (the local CLI's `orgs create`). */
  createOrgWithOwner(orgId: string, options: CreateOrgOptions = {}): Promise<IssuedApiKey> {
    return this.bootstrapper.createOrgWithOwner(orgId, options);
  }
}
