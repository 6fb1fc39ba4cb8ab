import type { FastifyInstance } from 'fastify';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../../auth/permissions.js';
import { ROLES } from '../../auth/roles.js';
import { errorResponses, json } from '../responses.js';
import { callerOf } from '../route-config.js';

/** GET /v1/me: who the key is. */
export function meRoute(app: FastifyInstance): void {
  app.get(
    '/v1/me',
    {
      config: { permission: 'read_config' },
      schema: {
        operationId: 'getMe',
        tags: ['keys'],
        summary: 'The calling key: org, key id, role and permissions',
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                org_id: { type: 'string' },
                key_id: { type: 'string' },
                role: { type: 'string', enum: ROLES },
                permissions: { type: 'array', items: { type: 'string', enum: PERMISSIONS } },
              },
              required: ['org_id', 'key_id', 'role', 'permissions'],
            },
            'The calling key',
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      return {
        org_id: caller.orgId,
        key_id: caller.keyId,
        role: caller.role,
        permissions: [...ROLE_PERMISSIONS[caller.role]],
      };
    },
  );
}
