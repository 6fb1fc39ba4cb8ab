import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/**
 * Where a module's credentials may travel: the origin of `http.base_url`, the whole `http.auth`
 * section (which header, query name or Basic fields carry which credential) and, for OAuth2, the
 * origin of `oauth2.token_url`. Paths are left out on purpose: an action's path is operator work
 * anyway, and it cannot take a request to another host.
 *
 * The digest of this is part of the credential's associated data, so the ciphertext opens only for
 * the destination it was sealed for: a manifest that now points elsewhere (changed by SQL, behind
 * the services' back) makes decryption fail instead of sending the secret there.
 */
export interface CredentialDestination {
  origin: string | null;
  auth: unknown;
  tokenOrigin: string | null;
}

function originOf(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    return new URL(url).origin;
  } catch {
    // Not a URL: keep the raw text, so that any change to it still changes the destination.
    return `invalid:${url}`;
  }
}

function section(manifest: Record<string, unknown>, name: string): Record<string, unknown> | null {
  const value = manifest[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function destinationOf(manifest: Record<string, unknown>): CredentialDestination {
  const http = section(manifest, 'http');
  const oauth2 = section(manifest, 'oauth2');
  return {
    origin: originOf(http?.base_url),
    auth: http?.auth ?? null,
    tokenOrigin: originOf(oauth2?.token_url),
  };
}

/** SHA-256 (hex) of the canonical destination: equal exactly when the destination is the same. */
export function destinationDigest(manifest: Record<string, unknown>): string {
  const d = destinationOf(manifest);
  return createHash('sha256')
    .update(canonicalJson({ origin: d.origin, auth: d.auth, token_origin: d.tokenOrigin }))
    .digest('hex');
}
