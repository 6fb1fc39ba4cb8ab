import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, doneMessage, orgFor, seeOther, sendPage } from '../console-deps.js';
import { html, when } from '../html.js';
import { csrfField, may, notice, page } from '../layout.js';
import { displayName, healthBadge, moduleHref, statusBadge } from '../module-views.js';

interface Params {
  category: string;
  platform: string;
}

const SESSION_READ = { permission: 'read_config', session: true } as const;
const SESSION_MANAGE = { permission: 'manage_modules', session: true } as const;

/** Another org's module and a module that does not exist get the same answer. */
export function moduleNotFound(): VaultError {
  return new VaultError('NOT_FOUND', 'There is no such module in your organization.');
}

function idOf(request: FastifyRequest<{ Params: Params }>): string {
  return moduleIdOf(request.params.category, request.params.platform);
}

/** GET /console/modules/:c/:p (detail with manifest); POST enable, disable, uninstall. */
export function moduleDetailPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Params: Params }>(
    '/console/modules/:category/:platform',
    { config: SESSION_READ, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const org = orgFor(deps, request);
      const m = await org.modules.get(idOf(request));
      if (m === null) throw moduleNotFound();
      const meta = await org.credentials.metadata(m.moduleId);
      const action = (path: string, label: string, cls = 'secondary') =>
        html`<form method="post" action="${moduleHref(m.moduleId)}/${path}" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="${cls}" data-action="${path}">${label}</button></form>`;
      const controls = may(ctx, 'manage_modules')
        ? html`<div class="actions">
${m.status === 'disabled' ? action('enable', 'Enable', 'primary') : action('disable', 'Disable')}
<details class="confirm"><summary class="danger-outline" data-action="uninstall-open">Uninstall…</summary>
<div class="confirm-body"><p>Uninstalling removes the module <strong>and its stored credentials</strong> from your organization. This cannot be undone.</p>
${action('uninstall', 'Yes, uninstall', 'danger')}</div></details>
</div>`
        : '';
      const done = doneMessage(request.query);
      const body = html`<p class="crumbs"><a href="/console/modules">Modules</a> / <code>${m.moduleId}</code></p>
<section class="card">
<h2>${displayName(m)} <span class="muted">v${m.version}</span></h2>
<dl class="facts">
<dt>Status</dt><dd data-testid="module-status">${statusBadge(m)}</dd>
<dt>Health</dt><dd>${healthBadge(m)}</dd>
<dt>Calls</dt><dd>${m.successCount} succeeded, ${m.failureCount} failed</dd>
<dt>Last used</dt><dd>${when(m.lastUsedAt)}</dd>
<dt>Installed</dt><dd>${when(m.installedAt)}</dd>
<dt>Updated</dt><dd>${when(m.updatedAt)}</dd>
<dt>Credentials</dt><dd>${meta === null ? html`none — <a href="/console/credentials#${m.moduleId}">add them</a>` : html`${meta.fields.join(', ')} (saved ${when(meta.updatedAt)})`}</dd>
</dl>
${controls}
</section>
<section class="card"><h2>Manifest</h2><pre class="json" data-testid="manifest">${JSON.stringify(m.manifest, null, 2)}</pre></section>`;
      return sendPage(
        reply,
        page(ctx, '/console/modules', displayName(m), body, done === null ? null : notice('ok', done)),
      );
    },
  );

  for (const verb of ['enable', 'disable'] as const) {
    app.post<{ Params: Params }>(
      `/console/modules/:category/:platform/${verb}`,
      { config: SESSION_MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
      async (request, reply) => {
        const org = orgFor(deps, request);
        const id = idOf(request);
        if ((await org.modules.get(id)) === null) throw moduleNotFound();
        const changed = verb === 'enable' ? await org.modules.enable(id) : await org.modules.disable(id);
        return seeOther(reply, moduleHref(id), changed ? `${verb}d` : 'unchanged');
      },
    );
  }

  app.post<{ Params: Params }>(
    '/console/modules/:category/:platform/uninstall',
    { config: SESSION_MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const removed = await orgFor(deps, request).modules.uninstall(idOf(request));
      if (!removed) throw moduleNotFound();
      return seeOther(reply, '/console/modules', 'uninstalled');
    },
  );
}
