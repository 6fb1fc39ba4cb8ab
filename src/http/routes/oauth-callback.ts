import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVaultError } from '../../errors.js';
import { toProblem } from '../problem.js';
import { errorResponses, json } from '../responses.js';
import type { RouteDeps } from './deps.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small page for the browser that lands here; never holds a token, a code or the state. */
function page(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} - orgvault</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .type('text/html; charset=utf-8')
    .send(html);
}

const wantsHtml = (request: FastifyRequest): boolean =>
  /\btext\/html\b/.test(String(request.headers.accept ?? ''));

/**
 * GET /v1/oauth/callback?code=&state= (public: the state is the credential). A browser gets a
 * small page, or a redirect to the console path given at authorize; other clients get JSON or a
 * problem. A provider error (error=access_denied) is shown plainly.
 */
export function oauthCallbackRoute(app: FastifyInstance, { vault }: RouteDeps): void {
  app.get<{ Querystring: Record<string, string> }>(
    '/v1/oauth/callback',
    {
      config: { public: true },
      schema: {
        operationId: 'completeOAuthCallback',
        tags: ['oauth'],
        summary: 'OAuth2 redirect URI: checks the state, exchanges the code, stores the tokens sealed',
        querystring: {
          type: 'object',
          properties: {
            code: { type: 'string', maxLength: 4096 },
            state: { type: 'string', maxLength: 256 },
            error: { type: 'string', maxLength: 256 },
            error_description: { type: 'string', maxLength: 4096 },
            iss: { type: 'string', maxLength: 2048 },
          },
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: { module_id: { type: 'string' }, connected: { type: 'boolean' } },
              required: ['module_id', 'connected'],
            },
            'Connected (a browser that accepts text/html gets a small page instead)',
          ),
          303: {
            description: 'Connected: the browser goes back to the console path given at authorize',
            headers: { location: { type: 'string' } },
            type: 'null',
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) {
        if (typeof value === 'string') params.set(name, value);
      }
      try {
        const done = await vault.completeOAuth(params, request.id);
        if (done.returnTo !== null) return reply.code(303).header('location', done.returnTo).send();
        if (wantsHtml(request)) {
          return page(
            reply,
            200,
            'Connected',
            `Module ${done.moduleId} is connected. You can close this window.`,
          );
        }
        return { module_id: done.moduleId, connected: true };
      } catch (err) {
        if (!wantsHtml(request)) throw err;
        const p = toProblem(err, request);
        const message =
          isVaultError(err) && p.status < 500 ? err.message : 'The connection could not be completed.';
        return page(reply, p.status, 'Not connected', message);
      }
    },
  );
}
