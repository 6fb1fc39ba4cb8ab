/**
 * Response declarations for route schemas. Each gives the media type the server really sends and
 * the headers every answer carries, so /openapi.json says what a client receives.
 */

import { ref, type SchemaName } from './schemas.js';

/** Sent on every answer (src/http/app.ts, onSend). */
const REQUEST_ID_HEADER = {
  'x-request-id': { type: 'string', format: 'uuid', description: "the server's id of this request" },
} as const;

type Schema = Record<string, unknown>;

/** A JSON answer: a shared schema by name, or an inline one. */
export function json(schema: SchemaName | Schema, description: string) {
  return {
    description,
    headers: REQUEST_ID_HEADER,
    content: { 'application/json': { schema: typeof schema === 'string' ? ref(schema) : schema } },
  };
}

/** An answer of another media type (text, NDJSON): the body is not serialized by a schema. */
export function media(type: string, schema: Schema, description: string) {
  return { description, headers: REQUEST_ID_HEADER, content: { [type]: { schema } } };
}

/** An empty answer (204). */
export function noContent(description: string) {
  return { description, headers: REQUEST_ID_HEADER, type: 'null' } as const;
}

const problem = (description: string, headers: Schema = {}) => ({
  description,
  headers: { ...REQUEST_ID_HEADER, ...headers },
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

/** The problem responses every route may give (a 429 says when to retry). */
export const errorResponses = {
  '4xx': problem('A client error: the request changed nothing', {
    'retry-after': {
      type: 'integer',
      minimum: 0,
      description: 'on 429 (and on a rate-limited module call): seconds to wait before retrying',
    },
  }),
  '5xx': problem('A server error (no internals are shown)'),
} as const;
