import type { Vault } from '../../src/vault.js';

/**
 * An org's audit events, newest first (up to 500): what tests compare before and after a request.
 * The one place tests read the trail through the vault's services rather than a route.
 */
export function auditTrail(vault: Vault, orgId: string) {
  return vault.services.audit.list(orgId, 500);
}
