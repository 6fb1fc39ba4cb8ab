import type * as oauth from 'oauth4webapi';
import { type OAuth2Spec, OAuth2SpecSchema } from '../modules/manifest.js';

/** The credential fields orgvault writes itself: the tokens, sealed with the client's credentials. */
export const TOKEN_FIELDS = ['access_token', 'refresh_token'] as const;

/** The module's valid `oauth2` section, or null (none, or an imported row that does not parse). */
export function oauthSpecOf(manifest: Record<string, unknown>): OAuth2Spec | null {
  if (manifest.oauth2 === undefined) return null;
  const parsed = OAuth2SpecSchema.safeParse(manifest.oauth2);
  return parsed.success ? parsed.data : null;
}

export const scopesOf = (spec: OAuth2Spec): string[] => spec.scopes ?? [];

/**
 * The provider as oauth4webapi describes it, from the manifest alone (no discovery request: the
 * manifest is what the operator reviewed, and its token_url origin is what the credential is bound to).
 */
export function authorizationServerOf(spec: OAuth2Spec): oauth.AuthorizationServer {
  return {
    issuer: spec.issuer ?? new URL(spec.token_url).origin,
    token_endpoint: spec.token_url,
    ...(spec.authorization_url !== undefined ? { authorization_endpoint: spec.authorization_url } : {}),
    ...(spec.revocation_url !== undefined ? { revocation_endpoint: spec.revocation_url } : {}),
  };
}
