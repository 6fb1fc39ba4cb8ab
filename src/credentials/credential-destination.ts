import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/**
 * Where a module's credentials may travel: the origin of `http.base_url`, the whole `http.auth`
 * section (which header, query name or Basic fields carry which credential) and, for OAuth2, the
 * origins of `oauth2.token_url`, `revocation_url` (the client secret and refresh token go there on
 * delete) and `authorization_url` (where owners are sent to grant), and the `pkce` flag. Paths are
 * left out on purpose: an action's path is operator work anyway, and it cannot take a request to
 * another host. The OAuth2 fields join the digest only when there is an oauth2 section, so no
 * other module's destination (nor the seal of its stored credentials) changed when they were added.
 *
 * The digest of this is part of the credential's associated data, so the ciphertext opens only for
 * the destination it was sealed for: a manifest that now points elsewhere (changed by SQL, behind
 * the services' back) makes decryption fail instead of sending the secret there.
 */
export interface CredentialDestination {
  origin: string | null;
  auth: unknown;
  tokenOrigin: string | null;
  /** Only for a manifest with an oauth2 section (see above). */
  oauth2?: { revocationOrigin: string | null; authorizationOrigin: string | null; pkce: boolean };
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
    ...(oauth2 === null
      ? {}
      : {
          oauth2: {
            revocationOrigin: originOf(oauth2.revocation_url),
            authorizationOrigin: originOf(oauth2.authorization_url),
            // Absent means true (manifest.ts): only turning it off is a change.
            pkce: oauth2.pkce !== false,
          },
        }),
  };
}

/** The canonical text of the destination: what the digest hashes. */
function destinationText(manifest: Record<string, unknown>): string {
  const d = destinationOf(manifest);
  return canonicalJson({
    origin: d.origin,
    auth: d.auth,
    token_origin: d.tokenOrigin,
    ...(d.oauth2 === undefined
      ? {}
      : {
          revocation_origin: d.oauth2.revocationOrigin,
          authorization_origin: d.oauth2.authorizationOrigin,
          pkce: d.oauth2.pkce,
        }),
  });
}

/** SHA-256 (hex) of the canonical destination: equal exactly when the destination is the same. */
export function destinationDigest(manifest: Record<string, unknown>): string {
  return createHash('sha256').update(destinationText(manifest)).digest('hex');
}

/**
 * Whether two manifests send credentials to the same destination: true exactly when their digests
 * are equal, without hashing either (a reinstall compares them on every call).
 */
export function sameDestination(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return destinationText(a) === destinationText(b);
}
