import * as oauth from 'oauth4webapi';
import { OutboundError } from '../agent/http/outbound-error.js';
import type { CredentialValues } from '../credentials/credential-values.js';
import { VaultError } from '../errors.js';
import type { OAuth2Spec } from '../modules/manifest.js';
import type { OAuthConnectionRow } from '../storage/rows.js';
import { scopesOf } from './oauth-spec.js';

/** The client as oauth4webapi wants it: the client_id the owner stored. */
export function clientOf(moduleId: string, values: CredentialValues): oauth.Client {
  const id = values.client_id;
  if (typeof id !== 'string' || id === '') {
    throw new VaultError(
      'MODULE_NOT_EXECUTABLE',
      `module "${moduleId}" needs the credential field "client_id"; store the module's credentials first`,
      { field: 'client_id' },
    );
  }
  return { client_id: id };
}

/** How the client proves itself at the token endpoint (manifest `token_auth_method`). */
export function clientAuthOf(moduleId: string, spec: OAuth2Spec, values: CredentialValues): oauth.ClientAuth {
  const secret = values.client_secret;
  if (typeof secret !== 'string' || secret === '') {
    throw new VaultError(
      'MODULE_NOT_EXECUTABLE',
      `module "${moduleId}" needs the credential field "client_secret"; store the module's credentials first`,
      { field: 'client_secret' },
    );
  }
  return spec.token_auth_method === 'client_secret_post'
    ? oauth.ClientSecretPost(secret)
    : oauth.ClientSecretBasic(secret);
}

/** The non-secret facts of a token answer: granted scopes (else those asked for) and expiry. */
export function connectionFacts(
  spec: OAuth2Spec,
  response: oauth.TokenEndpointResponse,
  now: Date,
): Pick<OAuthConnectionRow, 'status' | 'scopes' | 'expiresAt'> {
  const scopes =
    typeof response.scope === 'string' && response.scope.trim() !== ''
      ? response.scope.trim().split(/\s+/)
      : scopesOf(spec);
  const expiresIn = response.expires_in;
  return {
    status: 'connected',
    scopes,
    expiresAt:
      typeof expiresIn === 'number' && Number.isFinite(expiresIn)
        ? new Date(now.getTime() + expiresIn * 1000).toISOString()
        : null,
  };
}

/**
 * A failed token request as a module-call failure (counted by the breaker): the provider's error
 * code and status, never its description (which might echo what was sent).
 */
export function tokenFailure(moduleId: string, err: unknown): VaultError {
  if (err instanceof VaultError) return err;
  if (err instanceof OutboundError) {
    const code = err.reason === 'destination_refused' ? 'MODULE_NOT_EXECUTABLE' : 'MODULE_CALL_FAILED';
    return new VaultError(code, `module "${moduleId}": token endpoint: ${err.message}`, {
      reason: err.reason,
    });
  }
  if (err instanceof oauth.ResponseBodyError) {
    return new VaultError(
      'MODULE_CALL_FAILED',
      `module "${moduleId}": the token endpoint refused the request (${safeCode(err.error)}, HTTP ${err.status})`,
      { reason: 'token_endpoint', oauth_error: safeCode(err.error), upstream_status: err.status },
    );
  }
  // Wrapped fetch failures carry the guard's error as their cause.
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof OutboundError) return tokenFailure(moduleId, cause);
  const status = err instanceof oauth.WWWAuthenticateChallengeError ? `, HTTP ${err.status}` : '';
  return new VaultError(
    'MODULE_CALL_FAILED',
    `module "${moduleId}": the token endpoint's answer was not usable${status}`,
    { reason: 'token_endpoint' },
  );
}

/** An OAuth error code is an ASCII token (RFC 6749); anything else is not repeated. */
export const safeCode = (code: unknown): string =>
  typeof code === 'string' && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(code) ? code : 'error';
