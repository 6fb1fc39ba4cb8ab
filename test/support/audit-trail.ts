import type { Vault } from '../../src/vault.js';

/** An org's audit events, newest first (up to 500): what tests compare before and after a request. */
export function auditTrail(vault: Vault, orgId: string) {
  return vault.org(orgId).audit.list({ limit: 500 });
}
