import type { FastifyInstance } from 'fastify';
import { ROLE_PERMISSIONS } from '../../auth/permissions.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, orgFor, sendPage } from '../console-deps.js';
import { html } from '../html.js';
import { may, page } from '../layout.js';

function stat(label: string, value: number | string, href: string | null, testid: string) {
  const inner = html`<span class="stat-value" data-testid="${testid}">${value}</span><span class="stat-label">${label}</span>`;
  return href === null
    ? html`<div class="stat">${inner}</div>`
    : html`<a class="stat" href="${href}">${inner}</a>`;
}

/** GET /console: the org, the caller's role and permissions, and counts that say where to look. */
export function overviewPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get(
    '/console',
    { config: { permission: 'read_config', session: true }, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const org = orgFor(deps, request);
      const [modules, credentialIds] = await Promise.all([
        org.modules.list(),
        org.credentials.listModuleIds(),
      ]);
      const keys = may(ctx, 'manage_keys') ? await org.keys.list() : null;
      const unhealthy = modules.filter((m) => m.healthStatus === 'unhealthy').length;
      const enabled = modules.filter((m) => m.status === 'installed').length;
      const stats = [
        stat('modules installed', modules.length, '/console/modules', 'count-modules'),
        stat('enabled', enabled, '/console/modules', 'count-enabled'),
        stat('unhealthy', unhealthy, '/console/modules', 'count-unhealthy'),
        stat('with credentials', credentialIds.length, '/console/credentials', 'count-credentials'),
        keys === null
          ? null
          : stat(
              'active API keys',
              keys.filter((k) => k.status === 'active' || k.status === 'rotation_pending').length,
              '/console/keys',
              'count-keys',
            ),
      ];
      const next =
        modules.length === 0
          ? html`<p class="next">No modules yet. ${may(ctx, 'manage_modules') ? html`<a href="/console/modules#install">Install one from its manifest</a>.` : 'Ask an operator to install one.'}</p>`
          : '';
      const body = html`<section class="card">
<dl class="facts">
<dt>Organization</dt><dd>${ctx.auth.orgId}</dd>
<dt>Signed in with key</dt><dd><code>${ctx.auth.keyId}</code></dd>
<dt>Role</dt><dd><span class="badge role-${ctx.auth.role}">${ctx.auth.role}</span></dd>
<dt>Permissions</dt><dd class="chips">${ROLE_PERMISSIONS[ctx.auth.role].map((p) => html`<span class="chip">${p}</span>`)}</dd>
</dl>
</section>
<section class="stats">${stats}</section>
${next}`;
      return sendPage(reply, page(ctx, '/console', 'Overview', body));
    },
  );
}
