import type { HttpSpec } from '../modules/manifest.js';

/** A tool's input as JSON Schema; MCP requires an object schema. */
export type InputSchema = { type: 'object'; [key: string]: unknown };

const TEMPLATE = /\{([A-Za-z0-9_]+)\}/g;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const SCALAR = ['string', 'number', 'boolean'];

/** What a built-in handler takes is its own business: any object. */
export const ANY_OBJECT: InputSchema = { type: 'object', additionalProperties: true };

/**
 * The input schema of a declarative HTTP action, as buildHttpRequest reads the input: each
 * `{param}` of the path is a required scalar, each query name an optional scalar (or a list of
 * them), and `body` the JSON body of a POST, PUT or PATCH. Nothing else is read, so nothing else is
 * allowed: a misspelt name is an error, not a silently dropped field. The manifest's own
 * `input_schema` replaces this when present.
 */
export function httpInputSchema(action: HttpSpec['actions'][string]): InputSchema {
  if (action.input_schema !== undefined) return action.input_schema as InputSchema;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [, name] of action.path.matchAll(TEMPLATE)) {
    if (name === undefined || Object.hasOwn(properties, name)) continue;
    properties[name] = { type: SCALAR, minLength: 1, description: `path parameter {${name}}` };
    required.push(name);
  }
  for (const name of action.query ?? []) {
    if (Object.hasOwn(properties, name)) continue;
    properties[name] = {
      type: [...SCALAR, 'array'],
      items: { type: SCALAR },
      description: `query parameter ${name}`,
    };
  }
  if (BODY_METHODS.has(action.method) && !Object.hasOwn(properties, 'body')) {
    properties.body = { description: 'the JSON body of the request' };
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
