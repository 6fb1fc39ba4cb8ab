import type { FastifyInstance } from 'fastify';
import { isVaultError } from '../../errors.js';
import type { ModuleRecord } from '../../modules/module-record.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, doneMessage, orgFor, seeOther, sendPage } from '../console-deps.js';
import { type Html, html, when } from '../html.js';
import { csrfField, emptyState, may, notice, type PageContext, page } from '../layout.js';
import { displayName, healthBadge, moduleHref, statusBadge } from '../module-views.js';

const EXAMPLE =
  '{"name": "openweather", "category": "weather", "platform": "openweather", "version": "1.0.0"}';

function installForm(ctx: PageContext, given: string, error: string | null): Html {
  return html`<section class="card" id="install">
<h2>Install a module</h2>
<form method="post" action="/console/modules" class="stack">
${csrfField(ctx.csrf)}
<label for="manifest">Manifest (JSON)</label>
<textarea id="manifest" name="manifest" rows="8" spellcheck="false" required placeholder="${EXAMPLE}" ${error === null ? '' : html`aria-invalid="true" aria-describedby="manifest-error"`}>${given}</textarea>
${error === null ? '' : html`<p class="field-error" id="manifest-error" data-testid="manifest-error">${error}</p>`}
<label for="manifest_file" class="secondary-label">…or load it from a file</label>
<input id="manifest_file" type="file" accept="application/json,.json" data-load-into="manifest">
<p class="hint">Installing a module that exists replaces its manifest. Required fields: name, category, platform, version.</p>
<button type="submit" class="primary">Install</button>
</form>
</section>`;
}

function table(modules: ModuleRecord[], credentialIds: Set<string>): Html {
  return html`<div class="table-wrap"><table class="data cards" data-testid="modules-table">
<thead><tr><th>Module</th><th>Version</th><th>Status</th><th>Health</th><th class="num">OK / failed</th><th>Credentials</th><th>Last used</th></tr></thead>
<tbody>${modules.map(
    (m) => html`<tr data-module="${m.moduleId}">
<td data-label="Module"><span><a href="${moduleHref(m.moduleId)}">${displayName(m)}</a><span class="sub block"><code>${m.moduleId}</code></span></span></td>
<td data-label="Version">${m.version}</td><td data-label="Status">${statusBadge(m)}</td><td data-label="Health">${healthBadge(m)}</td>
<td class="num" data-label="OK / failed">${m.successCount} / ${m.failureCount}</td>
<td data-label="Credentials">${credentialIds.has(m.moduleId) ? html`<span class="badge good">stored</span>` : html`<span class="muted">none</span>`}</td>
<td data-label="Last used">${when(m.lastUsedAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

async function render(
  deps: ConsoleDeps,
  ctx: PageContext,
  request: Parameters<typeof orgFor>[1],
  message: Html | null,
  form: { given: string; error: string | null },
): Promise<Html> {
  const org = orgFor(deps, request);
  const [modules, credentialIds] = await Promise.all([org.modules.list(), org.credentials.listModuleIds()]);
  const list =
    modules.length === 0
      ? emptyState(
          'No modules installed yet.',
          may(ctx, 'manage_modules')
            ? 'Paste a module manifest below to install the first one.'
            : 'An operator or admin of your org can install one.',
        )
      : table(modules, new Set(credentialIds));
  return page(
    ctx,
    '/console/modules',
    'Modules',
    html`${list}${may(ctx, 'manage_modules') ? installForm(ctx, form.given, form.error) : ''}`,
    message,
  );
}

/** GET /console/modules: the table; POST /console/modules: install from a pasted or loaded manifest. */
export function modulePages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get(
    '/console/modules',
    { config: { permission: 'read_config', session: true }, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const done = doneMessage(request.query);
      return sendPage(
        reply,
        await render(deps, ctx, request, done === null ? null : notice('ok', done), {
          given: '',
          error: null,
        }),
      );
    },
  );

  app.post<{ Body: { manifest?: unknown } }>(
    '/console/modules',
    {
      config: { permission: 'manage_modules', session: true },
      schema: { hide: true },
      preHandler: app.csrfProtection,
    },
    async (request, reply) => {
      const given = typeof request.body?.manifest === 'string' ? request.body.manifest : '';
      let parsed: unknown;
      let error: string | null = null;
      try {
        parsed = JSON.parse(given);
      } catch {
        error = 'This is not valid JSON. Check for a missing quote, comma or brace.';
      }
      if (error === null) {
        try {
          const result = await orgFor(deps, request).modules.upsert(parsed);
          return seeOther(
            reply,
            moduleHref(result.module.moduleId),
            result.created ? 'installed' : 'replaced',
          );
        } catch (err) {
          if (!isVaultError(err) || (err.code !== 'VALIDATION_FAILED' && err.code !== 'CONFLICT')) throw err;
          error = err.message;
        }
      }
      const ctx = contextOf(request, reply);
      return sendPage(
        reply,
        await render(deps, ctx, request, notice('error', 'The module was not installed.'), { given, error }),
        400,
      );
    },
  );
}
