import { z } from 'zod';
import { CONTROL_CHARACTERS_RULE, findControlCharacter } from '../control-chars.js';
import { VaultError } from '../errors.js';
import { MODULE_PART_PATTERN } from '../ids.js';
import { HEALTH_STATUSES, MODULE_STATUSES } from './module-statuses.js';

/** semver.org's own grammar (2.0.0). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const CREDENTIAL_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const AUTH_TYPES = ['api_key', 'oauth2', 'basic', 'none'] as const;

const part = z.string().regex(MODULE_PART_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$');

const CredentialFieldSchema = z.looseObject({
  name: z.string().regex(CREDENTIAL_FIELD_NAME, 'must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$'),
  required: z.boolean().optional(),
  description: z.string().max(1000).optional(),
});

/** RFC 9110 field-name (a token): anything else makes Node refuse the request at send time. */
const HEADER_NAME = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name (a token)');

const HttpAuthSchema = z.discriminatedUnion('in', [
  z.object({ in: z.literal('header'), name: HEADER_NAME, credential: z.string().min(1) }),
  z.object({ in: z.literal('query'), name: z.string().min(1).max(128), credential: z.string().min(1) }),
  z.object({ in: z.literal('bearer'), credential: z.string().min(1) }),
  z.object({ in: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }),
]);

const HttpActionSchema = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().startsWith('/').max(2048),
  query: z.array(z.string().min(1).max(128)).max(64).optional(),
  /**
   * A JSON Schema of the action's input, for a module that wants to be more precise than the one
   * generated from its path, query and body (MCP tools/list shows it; tools/call checks against it).
   */
  input_schema: z.looseObject({ type: z.literal('object') }).optional(),
});

/** The declarative HTTP section: orgvault makes the call and injects the credential. */
export const HttpSpecSchema = z.object({
  base_url: z
    .string()
    .max(2048)
    .refine((u) => {
      try {
        const url = new URL(u);
        return (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          url.username === '' &&
          url.password === ''
        );
      } catch {
        return false;
      }
    }, 'must be an http(s) URL without user info'),
  auth: HttpAuthSchema.optional(),
  actions: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), HttpActionSchema),
});
export type HttpSpec = z.infer<typeof HttpSpecSchema>;

const httpUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        url.username === '' &&
        url.password === '' &&
        url.hash === ''
      );
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without user info or fragment');

/** Parameters orgvault sets itself on the authorization request: extra ones may not replace them. */
export const RESERVED_AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;

/**
 * The `oauth2` section: how orgvault obtains the access token the `http` section injects. Defaults
 * (scopes [], pkce true, client_secret_basic) are applied where it is used, so a stored manifest
 * stays exactly what was installed.
 */
export const OAuth2SpecSchema = z
  .object({
    grant: z.enum(['authorization_code', 'client_credentials']),
    authorization_url: httpUrl.optional(),
    token_url: httpUrl,
    revocation_url: httpUrl.optional(),
    /** The provider's issuer identifier, when its answers carry one (RFC 9207); default: token_url's origin. */
    issuer: httpUrl.optional(),
    scopes: z
      .array(
        z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/, 'must be a scope token (no spaces or quotes)'),
      )
      .max(64)
      .optional(),
    /** Default true: PKCE S256 on every authorization request. */
    pkce: z.boolean().optional(),
    authorize_params: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/)
          .refine(
            (k) => !(RESERVED_AUTHORIZE_PARAMS as readonly string[]).includes(k),
            'is set by orgvault and cannot be overridden',
          ),
        z.string().max(1024),
      )
      .optional(),
    token_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  })
  .refine((o) => o.grant !== 'authorization_code' || o.authorization_url !== undefined, {
    message: 'authorization_url is required for the authorization_code grant',
    path: ['authorization_url'],
  });
export type OAuth2Spec = z.infer<typeof OAuth2SpecSchema>;

/** A module manifest. Unknown fields (NEXUS's entry_point, class_name, ...) are kept as they are. */
export const ManifestSchema = z
  .looseObject({
    name: z.string().min(1).max(200),
    category: part,
    platform: part,
    version: z.string().regex(SEMVER, 'must be a semantic version such as 1.2.3'),
    display_name: z.string().max(200).optional(),
    description: z.string().max(10_000).optional(),
    icon: z.string().max(2048).optional(),
    auth_type: z.enum(AUTH_TYPES).optional(),
    requires_api_key: z.boolean().optional(),
    status: z.enum(MODULE_STATUSES).optional(),
    health_status: z.enum(HEALTH_STATUSES).optional(),
    credential_fields: z
      .array(CredentialFieldSchema)
      .max(64)
      .refine(
        (fields) => new Set(fields.map((f) => f.name)).size === fields.length,
        'field names must be unique',
      )
      .optional(),
    http: HttpSpecSchema.optional(),
    oauth2: OAuth2SpecSchema.optional(),
  })
  .refine((m) => m.oauth2 === undefined || m.auth_type === undefined || m.auth_type === 'oauth2', {
    message: 'an oauth2 section needs auth_type "oauth2"',
    path: ['auth_type'],
  });
export type Manifest = z.infer<typeof ManifestSchema>;

export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Turns a zod failure into one readable line naming the field. */
export function describeIssue(error: z.ZodError): { message: string; field: string } {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return { message: `${field}: ${issue?.message ?? 'invalid'}`, field };
}

export function parseManifest(input: unknown): Manifest {
  return parseManifestText(input).manifest;
}

/**
 * As parseManifest, also giving the manifest's JSON text: measuring its size serialises it anyway,
 * and an install stores exactly that text (one JSON.stringify per install, not two).
 */
export function parseManifestText(input: unknown): { manifest: Manifest; text: string } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new VaultError('VALIDATION_FAILED', 'manifest must be a JSON object');
  }
  const result = ManifestSchema.safeParse(input);
  if (!result.success) {
    const { message, field } = describeIssue(result.error);
    throw new VaultError('VALIDATION_FAILED', `invalid manifest: ${message}`, { field });
  }
  // Every string and key at any depth, unknown fields included: both engines must store it alike.
  const controlled = findControlCharacter(result.data);
  if (controlled !== null) {
    throw new VaultError('VALIDATION_FAILED', `invalid manifest: ${controlled}: ${CONTROL_CHARACTERS_RULE}`, {
      field: controlled,
    });
  }
  const text = JSON.stringify(result.data);
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
    throw new VaultError('VALIDATION_FAILED', `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  return { manifest: result.data, text };
}
