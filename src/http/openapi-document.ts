import type { SwaggerOptions } from '@fastify/swagger';
import type { Config } from '../config.js';
import { VERSION } from '../version.js';

/**
 * The tags an operation may carry, with what they group. Every route declares one of these (and an
 * operationId); buildApp refuses a route that does not, so the document stays complete as routes
 * are added.
 */
export const OPENAPI_TAGS = {
  system: 'Liveness, metrics and this document (public)',
  keys: 'API keys of the caller org, and the first key of a deployment',
  modules: "The caller org's installed modules",
  credentials: 'Credentials of a module: stored sealed, never shown again',
  oauth: 'OAuth2 connections of modules',
  audit: "The caller org's hash-chained audit trail",
  conversations: 'Agent conversations: module calls with credentials injected',
  mcp: 'The MCP server of the caller org',
} as const;

export type OpenApiTag = keyof typeof OPENAPI_TAGS;

/** Marks a route whose JSON body may be omitted (Fastify's body schema would make it required). */
export const OPTIONAL_BODY = 'x-orgvault-optional-body';

interface Operation {
  requestBody?: { required?: boolean };
  [key: string]: unknown;
}

/** Applies what @fastify/swagger cannot say from a route schema alone. */
function finish(document: Record<string, unknown>): Record<string, unknown> {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      if (op[OPTIONAL_BODY] === true) {
        delete op[OPTIONAL_BODY];
        if (op.requestBody !== undefined) op.requestBody.required = false;
      }
    }
  }
  return document;
}

/** @fastify/swagger's options: the document's info, servers, tags and named component schemas. */
export function openApiOptions(config: Config): SwaggerOptions {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orgvault',
        version: VERSION,
        description:
          'Multi-tenant control plane API. Errors are application/problem+json; every answer carries x-request-id.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      servers: [{ url: `http://${host}:${config.port}`, description: 'this server, as configured' }],
      tags: Object.entries(OPENAPI_TAGS).map(([name, description]) => ({ name, description })),
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
    // A shared schema keeps its $id as its component name (the default would be def-0, def-1, ...).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (doc) => finish((doc as { openapiObject: Record<string, unknown> }).openapiObject),
  } as SwaggerOptions;
}
