import type { FastifyInstance } from 'fastify';
import { toIssuedKeyJson } from '../../auth/api-key-info.js';
import { VaultError } from '../../errors.js';
import { errorResponses, json } from '../responses.js';
import { callerOf, orgOf } from '../route-config.js';
import type { RouteDeps } from './deps.js';

interface CreateBody {
  role: string;
  name?: string | null;
  expires_at?: string | null;
  org_id?: string;
}

/** POST /v1/api-keys: a key in the caller's own org, with a role up to the caller's own. */
export function apiKeysCreateRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.post<{ Body: CreateBody }>(
    '/v1/api-keys',
    {
      config: { permission: 'manage_keys' },
      schema: {
        operationId: 'createApiKey',
        tags: ['keys'],
        summary: 'Create an API key (role at most the caller’s; the key is shown once)',
        body: {
          type: 'object',
          required: ['role'],
          properties: {
            role: { type: 'string', enum: ['viewer', 'operator', 'admin', 'owner'] },
            name: { type: ['string', 'null'], maxLength: 200 },
            expires_at: { type: ['string', 'null'], maxLength: 64, format: 'date-time' },
            org_id: { type: 'string', maxLength: 64, description: 'optional; must be the caller’s own org' },
          },
          additionalProperties: false,
        },
        response: { 201: json('IssuedApiKey', 'The new key (shown once)'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body;
      // NEXUS let any caller name any org; here the org is the key's own, and naming another is refused.
      if (body.org_id !== undefined && body.org_id !== caller.orgId) {
        throw new VaultError('FORBIDDEN', "keys can only be created in the caller's own org");
      }
      const issued = await orgOf(vault, request).keys.create({
        role: body.role,
        name: body.name,
        expiresAt: body.expires_at,
      });
      reply.code(201);
      return toIssuedKeyJson(issued);
    },
  );
}
