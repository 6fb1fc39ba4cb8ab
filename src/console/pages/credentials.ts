import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CredentialMetadata } from '../../credentials/credential-service.js';
import { isVaultError } from '../../errors.js';
import { moduleIdOf } from '../../ids.js';
import type { ModuleRecord } from '../../modules/module-record.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, doneMessage, orgFor, seeOther, sendPage } from '../console-deps.js';
import { type Html, html, when } from '../html.js';
import { csrfField, emptyState, may, notice, type PageContext, page } from '../layout.js';
import { displayName, isOAuth, moduleHref } from '../module-views.js';
import { moduleNotFound } from './module-detail.js';

interface Params {
  category: string;
  platform: string;
}

interface FieldSpec {
  name: string;
  required: boolean;
  description: string | null;
}

/** The form's fields: the manifest's credential_fields, else what its auth type implies. */
export function credentialFieldsOf(m: ModuleRecord): FieldSpec[] {
  const declared = m.manifest.credential_fields;
  if (Array.isArray(declared) && declared.length > 0) {
    return declared
      .filter(
        (f): f is Record<string, unknown> =>
          typeof f === 'object' && f !== null && typeof f.name === 'string',
      )
      .map((f) => ({
        name: f.name as string,
        required: f.required === true,
        description: typeof f.description === 'string' ? f.description : null,
      }));
  }
  const auth = m.manifest.auth_type;
  if (auth === 'basic')
    return ['username', 'password'].map((name) => ({ name, required: true, description: null }));
  if (auth === 'oauth2')
    return ['client_id', 'client_secret'].map((name) => ({ name, required: true, description: null }));
  return [{ name: 'api_key', required: true, description: null }];
}

function moduleCard(
  ctx: PageContext,
  m: ModuleRecord,
  meta: CredentialMetadata | null,
  error: string | null,
): Html {
  const manage = may(ctx, 'manage_credentials');
  const base = `${moduleHref(m.moduleId)}/credentials`;
  const fields = credentialFieldsOf(m);
  const form = manage
    ? html`<form method="post" action="${base}" class="stack" autocomplete="off" data-testid="credential-form">
${csrfField(ctx.csrf)}
${fields.map(
  (
    f,
  ) => html`<label for="${m.moduleId}-${f.name}">${f.name}${f.required ? html` <span class="req">required</span>` : ''}</label>
<input id="${m.moduleId}-${f.name}" name="field_${f.name}" type="password" autocomplete="new-password" spellcheck="false" ${f.required && meta === null ? 'required' : ''}>
${f.description === null ? '' : html`<p class="hint">${f.description}</p>`}`,
)}
${error === null ? '' : html`<p class="field-error" data-testid="credential-error">${error}</p>`}
<p class="hint">Write-only: saved values are encrypted and never shown again. Saving replaces every field.</p>
<div class="actions"><button type="submit" class="primary">${meta === null ? 'Save credentials' : 'Replace credentials'}</button></div>
</form>`
    : '';
  const del =
    manage && meta !== null
      ? html`<details class="confirm"><summary class="danger-outline">Delete credentials…</summary><div class="confirm-body"><p>Calls to this module will fail until new credentials are saved.</p><form method="post" action="${base}/delete" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger">Yes, delete</button></form></div></details>`
      : '';
  const oauth =
    manage && isOAuth(m)
      ? html`<form method="post" action="${moduleHref(m.moduleId)}/oauth/connect" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="secondary" data-action="oauth-connect">Connect with OAuth</button></form>`
      : '';
  return html`<section class="card" id="${m.moduleId}" data-module="${m.moduleId}">
<h2><a href="${moduleHref(m.moduleId)}">${displayName(m)}</a> <code class="sub">${m.moduleId}</code></h2>
<p data-testid="credential-state">${
    meta === null
      ? html`<span class="badge muted">no credentials</span>`
      : html`<span class="badge good">stored</span> fields <strong>${meta.fields.join(', ')}</strong>, saved ${when(meta.createdAt)}, last changed ${when(meta.updatedAt)}`
  }</p>
${form}
<div class="actions">${oauth}${del}</div>
</section>`;
}

async function render(
  deps: ConsoleDeps,
  ctx: PageContext,
  request: FastifyRequest,
  message: Html | null,
  failed: { moduleId: string; error: string } | null,
): Promise<Html> {
  const org = orgFor(deps, request);
  const modules = (await org.modules.list()).filter((m) => m.status !== 'uninstalled');
  const metas = await Promise.all(modules.map((m) => org.credentials.metadata(m.moduleId)));
  const body =
    modules.length === 0
      ? emptyState(
          'No modules, so no credentials.',
          html`<a href="/console/modules">Install a module</a> first; its credentials are entered here.`,
        )
      : html`${may(ctx, 'manage_credentials') ? '' : html`<p class="hint">Only an owner can save or delete credentials; you see which fields are stored and when.</p>`}${modules.map(
          (m, i) =>
            moduleCard(ctx, m, metas[i] ?? null, failed?.moduleId === m.moduleId ? failed.error : null),
        )}`;
  return page(ctx, '/console/credentials', 'Credentials', body, message);
}

const MANAGE = { permission: 'manage_credentials', session: true } as const;

/** GET /console/credentials; POST .../credentials (store), .../credentials/delete, .../oauth/connect. */
export function credentialPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get(
    '/console/credentials',
    { config: { permission: 'read_config', session: true }, schema: { hide: true } },
    async (request, reply) => {
      const done = doneMessage(request.query);
      return sendPage(
        reply,
        await render(
          deps,
          contextOf(request, reply),
          request,
          done === null ? null : notice('ok', done),
          null,
        ),
      );
    },
  );

  app.post<{ Params: Params; Body: Record<string, unknown> }>(
    '/console/modules/:category/:platform/credentials',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const org = orgFor(deps, request);
      const id = moduleIdOf(request.params.category, request.params.platform);
      if ((await org.modules.get(id)) === null) throw moduleNotFound();
      // Only the form's own fields (field_<name>), and only those filled in.
      const values: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.body ?? {})) {
        if (key.startsWith('field_') && typeof value === 'string' && value !== '')
          values[key.slice(6)] = value;
      }
      try {
        await org.credentials.store(id, values);
      } catch (err) {
        if (!isVaultError(err) || err.code !== 'VALIDATION_FAILED') throw err;
        const ctx = contextOf(request, reply);
        return sendPage(
          reply,
          await render(deps, ctx, request, notice('error', 'The credentials were not saved.'), {
            moduleId: id,
            error: err.message,
          }),
          400,
        );
      }
      return seeOther(reply, `/console/credentials#${id}`, 'stored');
    },
  );

  app.post<{ Params: Params }>(
    '/console/modules/:category/:platform/credentials/delete',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const org = orgFor(deps, request);
      const id = moduleIdOf(request.params.category, request.params.platform);
      if ((await org.modules.get(id)) === null) throw moduleNotFound();
      await org.credentials.delete(id);
      return seeOther(reply, '/console/credentials', 'deleted');
    },
  );

  app.post<{ Params: Params }>(
    '/console/modules/:category/:platform/oauth/connect',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const org = orgFor(deps, request);
      const id = moduleIdOf(request.params.category, request.params.platform);
      if ((await org.modules.get(id)) === null) throw moduleNotFound();
      const { authorizationUrl } = await org.oauth.authorize(id, { returnTo: '/console/credentials' });
      // A link, not a redirect: the console's CSP has form-action 'self', which a browser also applies
      // to the redirects of a form's POST, so a 303 to the provider would be blocked. console.js
      // follows the link at once; without script the person clicks it.
      const host = new URL(authorizationUrl).host;
      const body = html`<p>orgvault prepared the connection of <strong>${id}</strong>. The provider asks you
to sign in and approve; it then sends you back here.</p>
<p><a class="button" href="${authorizationUrl}" data-follow data-testid="oauth-continue" rel="noreferrer">Continue to ${host}</a></p>`;
      return sendPage(reply, page(contextOf(request, reply), '/console/credentials', 'Connect', body));
    },
  );
}
