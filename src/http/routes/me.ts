import type { FastifyInstance } from 'fastify';
import { ROLE_PERMISSIONS } from '../../auth/permissions.js';
import { callerOf } from '../route-config.js';
import { errorResponses } from '../schemas.js';

/** GET /v1/me: who the key is. */
export function meRoute(app: FastifyInstance): void {
  app.get(
    '/v1/me',
    {
      config: { permission: 'read_config' },
      schema: {
        summary: 'The calling key: org, key id, role and permissions',
        response: {
          200: {
            type: 'object',
            properties: {
              org_id: { type: 'string' },
              key_id: { type: 'string' },
              role: { type: 'string' },
              permissions: { type: 'array', items: { type: 'string' } },
            },
          },
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
