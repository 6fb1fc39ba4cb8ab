/**
 * JSON schemas shared by the routes. They validate requests (a mismatch is a 400 problem) and
 * describe responses, which also makes serialization fast and /openapi.json complete.
 *
 * Every body schema is a named component: it is registered once with `app.addSchema` (its `$id` is
 * its name in `components.schemas`) and routes point at it with `ref('Name')`, so a generated client
 * gets one named type per shape instead of anonymous inline ones.
 */

import { z } from 'zod';
import { stateJsonSchema } from '../agent/state-json.js';
import { ROLES } from '../auth/roles.js';
import { CONTRACT_CODES } from '../errors.js';
import { ManifestSchema } from '../modules/manifest.js';
import { HEALTH_STATUSES, MODULE_STATUSES } from '../modules/module-statuses.js';

export const ID_PART = '^[a-z0-9][a-z0-9_-]{0,63}$';

/** A `$ref` to a shared schema by its component name. */
export const ref = (name: SchemaName) => ({ $ref: `${name}#` }) as const;

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json)',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', enum: CONTRACT_CODES },
    request_id: { type: 'string' },
    reason: { type: 'string', description: "the library's more specific code, when there is one" },
  },
  required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
} as const;

/**
 * The manifest, generated from the zod schema the registry validates with (src/modules/manifest.ts),
 * so the document and the rule cannot drift. zod's `startsWith` becomes a pattern plus a format of
 * its own that no validator knows; the pattern says it all, so that format is dropped.
 */
function manifestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ManifestSchema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const KNOWN_FORMATS = new Set(['date-time', 'uri', 'email', 'uuid']);
  const strip = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.format === 'string' && !KNOWN_FORMATS.has(o.format)) delete o.format;
    for (const v of Object.values(o)) strip(v);
  };
  strip(generated);
  delete generated.$schema;
  return {
    ...generated,
    $id: 'Manifest',
    description: 'A module manifest; unknown fields are kept as they are',
  };
}

const moduleSchema = {
  $id: 'Module',
  type: 'object',
  properties: {
    org_id: { type: 'string' },
    module_id: { type: 'string', description: 'category/platform' },
    name: { type: 'string' },
    category: { type: 'string' },
    platform: { type: 'string' },
    version: { type: 'string' },
    status: { type: 'string', enum: MODULE_STATUSES },
    health_status: { type: 'string', enum: HEALTH_STATUSES },
    manifest: { type: 'object', additionalProperties: true },
    installed_at: dateTime,
    updated_at: dateTime,
    failure_count: { type: 'integer' },
    success_count: { type: 'integer' },
    last_used_at: nullableDateTime,
  },
  required: ['org_id', 'module_id', 'name', 'category', 'platform', 'version', 'status', 'manifest'],
} as const;

const apiKeyProperties = {
  key_id: { type: 'string' },
  org_id: { type: 'string' },
  role: { type: 'string', enum: ROLES },
  name: nullableString,
  status: { type: 'string', enum: ['active', 'rotation_pending', 'rotated', 'expired', 'revoked'] },
  legacy: { type: 'boolean' },
  created_at: dateTime,
  created_by: nullableString,
  expires_at: nullableDateTime,
  grace_until: nullableDateTime,
  revoked_at: nullableDateTime,
  last_used_at: nullableDateTime,
  rotated_to: nullableString,
} as const;

/** A key as listed: never its hash or secret (the serializer drops anything not named here). */
const apiKeySchema = {
  $id: 'ApiKey',
  type: 'object',
  properties: apiKeyProperties,
  required: ['key_id', 'org_id', 'role', 'status', 'created_at'],
} as const;

/** A key just issued: the plaintext api_key, shown this once. */
const issuedKeySchema = {
  $id: 'IssuedApiKey',
  type: 'object',
  properties: {
    api_key: { type: 'string', description: 'the key itself; shown once, never retrievable again' },
    ...apiKeyProperties,
    rotated_from: { type: 'string' },
    rotated_from_grace_until: { ...dateTime, description: 'until when the replaced key keeps working' },
  },
  required: ['api_key', 'key_id', 'org_id', 'role'],
} as const;

const auditEventSchema = {
  $id: 'AuditEvent',
  type: 'object',
  properties: {
    seq: { type: 'integer', minimum: 1 },
    at: dateTime,
    actor_key_id: nullableString,
    action: { type: 'string' },
    target_type: nullableString,
    target_id: nullableString,
    request_id: nullableString,
    outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
    details: { type: 'object', additionalProperties: true },
    prev_hash: { type: 'string' },
    hash: { type: 'string' },
  },
  required: ['seq', 'at', 'action', 'outcome', 'hash'],
} as const;

const agentStateSchema = { ...stateJsonSchema, $id: 'AgentState' } as const;

/** Every shared schema, registered before the routes (src/http/app.ts). */
export const SHARED_SCHEMAS = [
  problemSchema,
  manifestJsonSchema(),
  moduleSchema,
  apiKeySchema,
  issuedKeySchema,
  auditEventSchema,
  agentStateSchema,
] as const;

export type SchemaName =
  | 'Problem'
  | 'Manifest'
  | 'Module'
  | 'ApiKey'
  | 'IssuedApiKey'
  | 'AuditEvent'
  | 'AgentState';

export const moduleParams = {
  type: 'object',
  properties: {
    category: { type: 'string', pattern: ID_PART },
    platform: { type: 'string', pattern: ID_PART },
  },
  required: ['category', 'platform'],
  additionalProperties: false,
} as const;

export const keyIdParams = {
  type: 'object',
  properties: { key_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['key_id'],
  additionalProperties: false,
} as const;
