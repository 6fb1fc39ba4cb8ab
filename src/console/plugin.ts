import { fileURLToPath } from 'node:url';
import cookie, { fastifyCookie } from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVaultError } from '../errors.js';
import { recordDenied } from '../http/auth-hook.js';
import { toProblem } from '../http/problem.js';
import type { ConsoleDeps } from './console-deps.js';
import { contextOf, sendPage } from './console-deps.js';
import { html } from './html.js';
import { barePage, page } from './layout.js';
import { assetRoutes } from './pages/assets.js';
import { auditPages } from './pages/audit.js';
import { conversationPages } from './pages/conversations.js';
import { credentialPages } from './pages/credentials.js';
import { keyPages } from './pages/keys.js';
import { moduleDetailPages } from './pages/module-detail.js';
import { modulePages } from './pages/modules.js';
import { overviewPage } from './pages/overview.js';
import { signInPages } from './pages/sign-in.js';
import { COOKIE_OPTIONS, SESSION_COOKIE } from './session.js';

export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/** A forged or stale form: answered as a page, audited as a refusal when a session is present. */
function isCsrfError(err: unknown): boolean {
  const code = (err as FastifyError | undefined)?.code;
  return typeof code === 'string' && code.startsWith('FST_CSRF_');
}

async function renderError(
  deps: ConsoleDeps,
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (isVaultError(err) && err.code === 'UNAUTHENTICATED') {
    // A missing, expired or revoked session: back to sign-in, with the dead cookie removed.
    reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
    return reply.code(303).header('cache-control', 'no-store').redirect('/console/sign-in?ended=1');
  }
  let status: number;
  let title: string;
  let detail: string;
  if (isCsrfError(err)) {
    status = 403;
    title = 'This form cannot be accepted';
    detail = 'It has expired or did not come from this console. Go back, reload the page and try again.';
    if (request.auth !== null)
      await recordDenied(deps.vault, request, request.routeOptions.config.permission ?? 'none', 'CSRF');
  } else {
    const p = toProblem(err, request);
    status = p.status;
    title = p.title;
    detail =
      p.status >= 500
        ? 'Something went wrong on the server. Try again; if it keeps happening, give this id to your operator: ' +
          request.id
        : p.detail;
    if (p.status === 403 && request.auth !== null) {
      await recordDenied(deps.vault, request, request.routeOptions.config.permission ?? 'none', p.reason);
    }
  }
  // A refusal by the auth hook comes before the console's own hooks: read the cookies here then.
  if ((request.cookies as unknown) == null)
    request.cookies = fastifyCookie.parse(request.headers.cookie ?? '');
  const body = html`<div class="error-page" data-testid="error"><p class="status">${status}</p><p>${detail}</p><p><a href="/console">Back to the overview</a></p></div>`;
  if (request.auth !== null) return sendPage(reply, page(contextOf(request, reply), '', title, body), status);
  return sendPage(reply, barePage(title, html`<h1>${title}</h1>${body}`), status);
}

/**
 * The web console under /console. Its plugins (cookies, form bodies, helmet's headers, CSRF,
 * static files) are registered inside this plugin's own scope, so the JSON API's content types,
 * headers and limits stay as they were. Every page goes through the same auth hook (by session),
 * org door, services and audit as the API.
 */
export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: deps.config.bodyLimitBytes });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    hsts: false,
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'orgvault_csrf',
    cookieOpts: { ...COOKIE_OPTIONS, signed: false },
    // Tokens are bound to the signed-in key, so one taken from another session is refused.
    getUserInfo: (request) => request.auth?.keyId ?? 'anonymous',
    csrfOpts: { hmacKey: deps.sessions.csrfKey, userInfo: true },
  });
  // sendFile only: the asset route declares itself public like every other route.
  await app.register(fastifyStatic, { root: ASSETS_DIR, serve: false, wildcard: false });

  app.setErrorHandler((err, request, reply) => renderError(deps, err, request, reply));

  for (const register of [
    assetRoutes,
    signInPages,
    overviewPage,
    modulePages,
    moduleDetailPages,
    credentialPages,
    keyPages,
    auditPages,
    conversationPages,
  ]) {
    register(app, deps);
  }
}
