import { VaultError } from '../errors.js';
import type { OrgVault } from '../vault.js';

/**
 * The one hook point of the console's OAuth "Connect" button. The OAuth2 service (issue 11, built
 * in parallel) is not on main yet; once it is, this calls the same service as
 * `POST /v1/modules/:c/:p/oauth/authorize` with `returnTo` and returns its `authorization_url`,
 * to which the console redirects. Until then it refuses plainly and changes nothing.
 */
export async function startOAuthConnect(
  _org: OrgVault,
  _moduleId: string,
  _returnTo: string,
): Promise<string> {
  throw new VaultError('CONFLICT', 'OAuth connection is not available in this version of orgvault yet.');
}
