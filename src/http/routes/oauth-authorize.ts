import type { FastifyInstance } from 'fastify';
import { moduleIdOf } from '../../ids.js';
import { OPTIONAL_BODY } from '../openapi-document.js';
import { errorResponses, json } from '../responses.js';
import { orgOf } from '../route-config.js';
import { moduleParams } from '../schemas.js';
import type { RouteDeps } from './deps.js';
import type { ModuleParams } from './module-not-found.js';

/**
 * POST /v1/modules/:category/:platform/oauth/authorize {return_to?}: the provider URL to send the
 * owner's browser to, with a single-use state (10 minutes) and a PKCE S256 challenge.
 */
export function oauthAuthorizeRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.post<{ Params: ModuleParams; Body: { return_to?: string } | undefined }>(
    '/v1/modules/:category/:platform/oauth/authorize',
    {
      config: { permission: 'manage_credentials' },
      // The body is optional: no body means no return_to.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        operationId: 'startOAuthAuthorization',
        tags: ['oauth'],
        ...({ [OPTIONAL_BODY]: true } as object),
        summary:
          'Start connecting an OAuth2 module: the authorization URL (state and PKCE challenge included)',
        params: moduleParams,
        body: {
          type: 'object',
          properties: {
            return_to: {
              type: 'string',
              maxLength: 1024,
              description: 'a path under /console the callback redirects the browser to',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                authorization_url: { type: 'string', format: 'uri' },
                expires_at: {
                  type: 'string',
                  format: 'date-time',
                  description: 'when the state stops being accepted',
                },
              },
              required: ['authorization_url', 'expires_at'],
            },
            "The provider's authorization URL to open in the owner's browser",
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const moduleId = moduleIdOf(request.params.category, request.params.platform);
      const started = await orgOf(vault, request).oauth.authorize(
        moduleId,
        request.body?.return_to !== undefined ? { returnTo: request.body.return_to } : {},
      );
      return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
    },
  );
}
