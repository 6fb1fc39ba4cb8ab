import { VaultError } from '../errors.js';
import type { OrgVault } from '../vault.js';

/**
 * The one hook point of the console's OAuth "Connect" button. The OAuth2 service (issue 11, built
 * in parallel on i-oauth) is not on main yet; once it is, the body becomes the same call as
 * `POST /v1/modules/:c/:p/oauth/authorize`:
 *   `return (await org.oauth.authorize(moduleId, { returnTo })).authorizationUrl;`
 * and the console redirects there. Until then it refuses plainly (409) and changes nothing.
 */
export async function startOAuthConnect(
  _org: OrgVault,
  _moduleId: string,
  _returnTo: string,
): Promise<string> {
  throw new VaultError('CONFLICT', 'OAuth connection is not available in this version of orgvault yet.');
}
