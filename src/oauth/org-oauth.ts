import type { ActorContext } from '../audit/audit-log.js';
import type { OrgId } from '../ids.js';
import type { OAuthService, OAuthStatus } from './oauth-service.js';

/** One org's OAuth2 connections, as the library and the HTTP routes reach them (`vault.org(id).oauth`). */
export class OrgOAuth {
  constructor(
    private readonly service: OAuthService,
    private readonly orgId: OrgId,
    private readonly actor: ActorContext,
  ) {}

  /**
   * The provider URL to send the owner's browser to (state and PKCE challenge included); the state
   * is valid for 10 minutes, once. `returnTo`: a path under /console the callback redirects to.
   */
  authorize(moduleId: string, options: { returnTo?: string } = {}) {
    return this.service.authorize(this.orgId, moduleId, this.actor, options);
  }

  /** Connected or not, scopes, expiry; null for a module without an oauth2 section. Never a token. */
  status(moduleId: string): Promise<OAuthStatus | null> {
    return this.service.status(this.orgId, moduleId);
  }
}
