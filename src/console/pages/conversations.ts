import type { FastifyInstance } from 'fastify';
import { toStateJson } from '../../agent/state-json.js';
import { isVaultError } from '../../errors.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, orgFor, sendPage } from '../console-deps.js';
import { type Html, html } from '../html.js';
import { badge, emptyState, notice, page } from '../layout.js';

/** GET /console/conversations?id=: look a conversation up by id; its state and tool results. */
export function conversationPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: { id?: string } }>(
    '/console/conversations',
    { config: { permission: 'read_config', session: true }, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const id = typeof request.query.id === 'string' ? request.query.id.trim() : '';
      let result: Html = emptyState(
        'Look up a conversation.',
        'Enter the conversation id your agent uses (its thread id).',
      );
      if (id !== '') {
        try {
          const state = await orgFor(deps, request).conversations.get(id);
          if (state === null) {
            reply.code(404);
            result = notice('error', `No conversation “${id}” in your organization.`);
          } else {
            const json = toStateJson(state);
            result = html`<section class="card"><dl class="facts">
<dt>Conversation</dt><dd><code>${state.conversationId}</code></dd><dt>User</dt><dd>${state.userId ?? '—'}</dd>
<dt>Tool calls</dt><dd data-testid="tool-calls">${state.totalToolCalls}</dd><dt>Messages</dt><dd>${state.messages.length}</dd>
<dt>Next action</dt><dd>${state.nextAction ?? '—'}</dd><dt>Error</dt><dd>${state.error ?? '—'}</dd></dl></section>
<h2>Tool results</h2>
${
  state.toolResults.length === 0
    ? emptyState('No tool results yet.', 'Results appear here after the agent invokes a module.')
    : html`<div class="table-wrap"><table class="data" data-testid="tool-results"><thead><tr><th>#</th><th>Module</th><th>Action</th><th>Result</th><th>Output</th></tr></thead><tbody>${state.toolResults.map(
        (t, i) =>
          html`<tr><td class="num">${i + 1}</td><td><code>${t.moduleId}</code></td><td><code>${t.action}</code></td><td>${t.ok ? badge('ok', 'good') : badge(t.error?.code ?? 'failed', 'bad')}</td><td class="details"><code>${JSON.stringify(t.ok ? t.output : t.error)}</code></td></tr>`,
      )}</tbody></table></div>`
}
<details class="card"><summary class="toggle">Whole state (JSON)</summary><pre class="json">${JSON.stringify(json, null, 2)}</pre></details>`;
          }
        } catch (err) {
          if (!isVaultError(err) || err.code !== 'VALIDATION_FAILED') throw err;
          reply.code(400);
          result = notice('error', err.message);
        }
      }
      const body = html`<form method="get" action="/console/conversations" class="filters"><label for="id">Conversation id</label><input id="id" name="id" value="${id}" required maxlength="200"><button type="submit" class="primary">Look up</button></form>${result}`;
      return sendPage(reply, page(ctx, '/console/conversations', 'Conversations', body), reply.statusCode);
    },
  );
}
