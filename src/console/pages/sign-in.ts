import type { FastifyInstance } from 'fastify';
import { callerOf } from '../../http/route-config.js';
import type { ConsoleDeps } from '../console-deps.js';
import { seeOther, sendPage } from '../console-deps.js';
import { html } from '../html.js';
import { barePage, csrfField, notice } from '../layout.js';

function signInForm(csrf: string, message: ReturnType<typeof notice> | null) {
  return barePage(
    'Sign in',
    html`<section class="card narrow">
<h1>Sign in to the console</h1>
${message}
<form method="post" action="/console/sign-in" class="stack" autocomplete="off">
${csrfField(csrf)}
<label for="api_key">API key</label>
<input id="api_key" name="api_key" type="password" required autocomplete="off" spellcheck="false" placeholder="ovk_…">
<p class="hint">Paste an API key of your org. It is checked once and never stored in your browser; the console keeps a session that ends when you sign out, after 8 hours, or as soon as the key is revoked.</p>
<button type="submit" class="primary">Sign in</button>
</form>
</section>`,
  );
}

/** GET/POST /console/sign-in (public), POST /console/sign-out. */
export function signInPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: { ended?: string } }>(
    '/console/sign-in',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const ended =
        request.query.ended !== undefined ? notice('error', 'Your session has ended. Sign in again.') : null;
      return sendPage(reply, signInForm(reply.generateCsrf({ userInfo: 'anonymous' }), ended));
    },
  );

  app.post<{ Body: { api_key?: unknown } }>(
    '/console/sign-in',
    { config: { public: true }, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const presented = typeof request.body?.api_key === 'string' ? request.body.api_key.trim() : '';
      const result = presented === '' ? null : await deps.vault.auth.verify(presented);
      if (result === null || !result.ok) {
        const limited = await deps.limiter.recordAuthFailure({ client: request.ip, keyId: null });
        const text = limited.ok
          ? 'That key was not accepted. Check it and try again.'
          : 'Too many attempts. Wait a minute and try again.';
        return sendPage(
          reply,
          signInForm(reply.generateCsrf({ userInfo: 'anonymous' }), notice('error', text)),
          limited.ok ? 401 : 429,
        );
      }
      deps.sessions.start(reply, result.keyId, result.orgId);
      return seeOther(reply, '/console');
    },
  );

  app.post(
    '/console/sign-out',
    {
      config: { permission: 'read_config', session: true },
      schema: { hide: true },
      preHandler: app.csrfProtection,
    },
    async (request, reply) => {
      await deps.sessions.end(reply, callerOf(request));
      return seeOther(reply, '/console/sign-in');
    },
  );
}
