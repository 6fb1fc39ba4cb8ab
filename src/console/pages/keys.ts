import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyInfo } from '../../auth/api-key-info.js';
import { roleAtMost } from '../../auth/permissions.js';
import { ROLES } from '../../auth/roles.js';
import { isVaultError, VaultError } from '../../errors.js';
import { internalsOf } from '../../vault-internals.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, doneMessage, orgFor, seeOther, sendPage } from '../console-deps.js';
import { type Html, html, when } from '../html.js';
import { badge, csrfField, emptyState, notice, type PageContext, page } from '../layout.js';

const MANAGE = { permission: 'manage_keys', session: true } as const;
const DAY = 24 * 60 * 60;
const EXPIRIES: Array<[string, string]> = [
  ['', 'Never'],
  [String(DAY), '1 day'],
  [String(7 * DAY), '7 days'],
  [String(30 * DAY), '30 days'],
  [String(90 * DAY), '90 days'],
  [String(365 * DAY), '1 year'],
];
const GRACES: Array<[string, string]> = [
  ['0', 'none (the old key stops now)'],
  [String(60 * 60), '1 hour'],
  [String(DAY), '24 hours'],
  [String(7 * DAY), '7 days'],
];
const STATUS_TONE: Record<string, string> = {
  active: 'good',
  rotation_pending: 'warn',
  rotated: 'muted',
  expired: 'muted',
  revoked: 'bad',
};

function keyBadge(k: ApiKeyInfo): Html {
  return badge(k.status.replace('_', ' '), STATUS_TONE[k.status] ?? 'muted');
}

function usable(k: ApiKeyInfo): boolean {
  return k.status === 'active' || k.status === 'rotation_pending';
}

/** A freshly issued key, shown once: never stored anywhere the browser keeps. */
function shownOnce(apiKey: string, what: string): Html {
  return html`<section class="card once" data-testid="new-key">
<h2>${what}</h2>
<p>Copy it now: this is the only time it is shown. Store it in your secret manager.</p>
<div class="copy-row"><input id="new-key" type="text" readonly value="${apiKey}" spellcheck="false" aria-label="New API key"><button type="button" class="secondary" data-copy="new-key">Copy</button></div>
</section>`;
}

function createForm(ctx: PageContext, error: string | null): Html {
  const roles = ROLES.filter((r) => roleAtMost(r, ctx.auth.role));
  return html`<section class="card" id="create">
<h2>Create a key</h2>
<form method="post" action="/console/keys" class="grid-form">
${csrfField(ctx.csrf)}
<label for="name">Name</label><input id="name" name="name" maxlength="200" placeholder="e.g. ci-deploy">
<label for="role">Role</label><select id="role" name="role">${roles.map((r) => html`<option value="${r}" ${r === 'viewer' ? 'selected' : ''}>${r}</option>`)}</select>
<label for="expires_in">Expires</label><select id="expires_in" name="expires_in">${EXPIRIES.map(([v, l]) => html`<option value="${v}" ${v === String(90 * DAY) ? 'selected' : ''}>${l}</option>`)}</select>
${error === null ? '' : html`<p class="field-error span">${error}</p>`}
<p class="hint span">You can give a key at most your own role (${ctx.auth.role}).</p>
<div class="span"><button type="submit" class="primary">Create key</button></div>
</form>
</section>`;
}

function table(keys: ApiKeyInfo[], self: string): Html {
  return html`<div class="table-wrap"><table class="data cards" data-testid="keys-table">
<thead><tr><th>Name</th><th>Key id</th><th>Role</th><th>Status</th><th>Created</th><th>Expires</th><th>Last used</th></tr></thead>
<tbody>${keys.map(
    (
      k,
    ) => html`<tr data-key="${k.keyId}"><td data-label="Name"><span><a href="/console/keys/${k.keyId}">${k.name ?? html`<span class="muted">unnamed</span>`}</a>${k.keyId === self ? html` <span class="badge info">this session</span>` : ''}</span></td>
<td data-label="Key id"><code>${k.keyId}</code></td><td data-label="Role"><span class="badge role-${k.role}">${k.role}</span></td><td data-label="Status">${keyBadge(k)}</td>
<td data-label="Created">${when(k.createdAt)}</td><td data-label="Expires">${k.status === 'rotation_pending' ? html`grace until ${when(k.graceUntil)}` : when(k.expiresAt)}</td><td data-label="Last used">${when(k.lastUsedAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

async function listPage(
  deps: ConsoleDeps,
  request: FastifyRequest,
  ctx: PageContext,
  top: Html | null,
  error: string | null,
): Promise<Html> {
  const keys = await orgFor(deps, request).keys.list();
  const list =
    keys.length === 0 ? emptyState('No API keys.', 'Create one below.') : table(keys, ctx.auth.keyId);
  return page(ctx, '/console/keys', 'API keys', html`${top}${list}${createForm(ctx, error)}`);
}

function keyIdOf(request: FastifyRequest<{ Params: { key_id: string } }>): string {
  return request.params.key_id;
}

function keyNotFound(): VaultError {
  return new VaultError('NOT_FOUND', 'There is no such API key in your organization.');
}

/** GET/POST /console/keys, GET /console/keys/:key_id, POST .../rotate, POST .../revoke. */
export function keyPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const clock = internalsOf(deps.vault).clock;

  app.get('/console/keys', { config: MANAGE, schema: { hide: true } }, async (request, reply) => {
    const done = doneMessage(request.query);
    return sendPage(
      reply,
      await listPage(
        deps,
        request,
        contextOf(request, reply),
        done === null ? null : notice('ok', done),
        null,
      ),
    );
  });

  app.post<{ Body: { name?: unknown; role?: unknown; expires_in?: unknown } }>(
    '/console/keys',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const body = request.body ?? {};
      const name = typeof body.name === 'string' && body.name.trim() !== '' ? body.name.trim() : null;
      const seconds =
        typeof body.expires_in === 'string' && /^\d{1,9}$/.test(body.expires_in)
          ? Number(body.expires_in)
          : 0;
      const expiresAt = seconds > 0 ? new Date(clock().getTime() + seconds * 1000).toISOString() : null;
      try {
        const issued = await orgFor(deps, request).keys.create({
          role: String(body.role ?? ''),
          name,
          expiresAt,
        });
        const ctx = contextOf(request, reply);
        return sendPage(
          reply,
          await listPage(
            deps,
            request,
            ctx,
            shownOnce(issued.apiKey, `New ${issued.role} key “${issued.name ?? issued.keyId}”`),
            null,
          ),
          201,
        );
      } catch (err) {
        if (!isVaultError(err) || err.code !== 'VALIDATION_FAILED') throw err;
        const ctx = contextOf(request, reply);
        return sendPage(
          reply,
          await listPage(deps, request, ctx, notice('error', 'The key was not created.'), err.message),
          400,
        );
      }
    },
  );

  app.get<{ Params: { key_id: string } }>(
    '/console/keys/:key_id',
    { config: MANAGE, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const k = await orgFor(deps, request).keys.get(keyIdOf(request));
      if (k === null) throw keyNotFound();
      // Keys above the caller's role cannot be rotated or revoked by it: no controls for them.
      const actions =
        usable(k) && roleAtMost(k.role, ctx.auth.role)
          ? html`<div class="actions">
<form method="post" action="/console/keys/${k.keyId}/rotate" class="inline-form">${csrfField(ctx.csrf)}
<label for="grace_seconds">Old key keeps working for</label>
<select id="grace_seconds" name="grace_seconds">${GRACES.map(([v, l]) => html`<option value="${v}" ${v === String(DAY) ? 'selected' : ''}>${l}</option>`)}</select>
<button type="submit" class="secondary" data-action="rotate">Rotate</button></form>
<details class="confirm"><summary class="danger-outline" data-action="revoke-open">Revoke…</summary><div class="confirm-body">
<p>Revoking stops this key at once${k.keyId === ctx.auth.keyId ? ', and signs you out of this console' : ''}. It cannot be undone.</p>
<form method="post" action="/console/keys/${k.keyId}/revoke" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger" data-action="revoke">Yes, revoke</button></form></div></details>
</div>`
          : '';
      const body = html`<p class="crumbs"><a href="/console/keys">API keys</a> / <code>${k.keyId}</code></p>
<section class="card"><dl class="facts">
<dt>Name</dt><dd>${k.name ?? '—'}</dd><dt>Key id</dt><dd><code>${k.keyId}</code></dd>
<dt>Role</dt><dd><span class="badge role-${k.role}">${k.role}</span></dd><dt>Status</dt><dd data-testid="key-status">${keyBadge(k)}</dd>
<dt>Created</dt><dd>${when(k.createdAt)}${k.createdBy === null ? '' : html` by <code>${k.createdBy}</code>`}</dd>
<dt>Expires</dt><dd>${when(k.expiresAt)}</dd><dt>Grace until</dt><dd>${when(k.graceUntil)}</dd>
<dt>Revoked</dt><dd>${when(k.revokedAt)}</dd><dt>Last used</dt><dd>${when(k.lastUsedAt)}</dd>
${k.rotatedTo === null ? '' : html`<dt>Replaced by</dt><dd><a href="/console/keys/${k.rotatedTo}"><code>${k.rotatedTo}</code></a></dd>`}
</dl>${actions}</section>`;
      return sendPage(reply, page(ctx, '/console/keys', k.name ?? k.keyId, body));
    },
  );

  app.post<{ Params: { key_id: string }; Body: { grace_seconds?: unknown } }>(
    '/console/keys/:key_id/rotate',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const raw = request.body?.grace_seconds;
      const graceSeconds = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
      const rotated = await orgFor(deps, request).keys.rotate(keyIdOf(request), { graceSeconds });
      if (rotated === null) throw keyNotFound();
      const ctx = contextOf(request, reply);
      return sendPage(
        reply,
        await listPage(
          deps,
          request,
          ctx,
          shownOnce(rotated.apiKey, `Rotated: the new ${rotated.role} key`),
          null,
        ),
        201,
      );
    },
  );

  app.post<{ Params: { key_id: string } }>(
    '/console/keys/:key_id/revoke',
    { config: MANAGE, schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const revoked = await orgFor(deps, request).keys.revoke(keyIdOf(request));
      if (!revoked) throw keyNotFound();
      return seeOther(reply, '/console/keys', 'revoked');
    },
  );
}
