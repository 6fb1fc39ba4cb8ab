/**
 * JSON schemas shared by the routes. They validate requests (a mismatch is a 400 problem) and
 * describe responses, which also makes serialization fast and /openapi.json complete.
 */

import { CONTRACT_CODES } from '../errors.js';

export const ID_PART = '^[a-z0-9][a-z0-9_-]{0,63}$';

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json)',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: CONTRACT_CODES },
    request_id: { type: 'string' },
    reason: { type: 'string', description: "the library's more specific code, when there is one" },
  },
  required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
} as const;

/** The problem responses every authenticated route may give. */
export const errorResponses = {
  '4xx': problemSchema,
  '5xx': problemSchema,
} as const;

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

const nullableString = { type: ['string', 'null'] } as const;

export const moduleSchema = {
  type: 'object',
  properties: {
    org_id: { type: 'string' },
    module_id: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string' },
    platform: { type: 'string' },
    version: { type: 'string' },
    status: { type: 'string' },
    health_status: { type: 'string' },
    manifest: { type: 'object', additionalProperties: true },
    installed_at: { type: 'string' },
    updated_at: { type: 'string' },
    failure_count: { type: 'integer' },
    success_count: { type: 'integer' },
    last_used_at: nullableString,
  },
  required: ['org_id', 'module_id', 'name', 'category', 'platform', 'version', 'status', 'manifest'],
} as const;

const apiKeyProperties = {
  key_id: { type: 'string' },
  org_id: { type: 'string' },
  role: { type: 'string', enum: ['viewer', 'operator', 'admin', 'owner'] },
  name: nullableString,
  status: { type: 'string' },
  legacy: { type: 'boolean' },
  created_at: { type: 'string' },
  created_by: nullableString,
  expires_at: nullableString,
  grace_until: nullableString,
  revoked_at: nullableString,
  last_used_at: nullableString,
  rotated_to: nullableString,
} as const;

/** A key as listed: never its hash or secret (the serializer drops anything not named here). */
export const apiKeySchema = {
  type: 'object',
  properties: apiKeyProperties,
  required: ['key_id', 'org_id', 'role', 'status', 'created_at'],
} as const;

/** A key just issued: the plaintext api_key, shown this once. */
export const issuedKeySchema = {
  type: 'object',
  properties: {
    api_key: { type: 'string', description: 'the key itself; shown once, never retrievable again' },
    ...apiKeyProperties,
    rotated_from: { type: 'string' },
    rotated_from_grace_until: { type: 'string', description: 'until when the replaced key keeps working' },
  },
  required: ['api_key', 'key_id', 'org_id', 'role'],
} as const;

export const auditEventSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string' },
    actor_key_id: nullableString,
    action: { type: 'string' },
    target_type: nullableString,
    target_id: nullableString,
    request_id: nullableString,
    outcome: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    prev_hash: { type: 'string' },
    hash: { type: 'string' },
  },
  required: ['seq', 'at', 'action', 'outcome', 'hash'],
} as const;
