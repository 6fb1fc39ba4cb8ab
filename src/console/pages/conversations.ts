import type { FastifyInstance } from 'fastify';
import { toStateJson } from '../../agent/state-json.js';
import { isVaultError } from '../../errors.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, orgFor, sendPage } from '../console-deps.js';
import { type Html, html } from '../html.js';
import { badge, emptyState, notice, page } from '../layout.js';

/** Tool results shown per page. */
const PAGE = 50;

/**
 * GET /console/conversations?id=&after=: look a conversation up by id; its state, and its whole
 * history of tool results paged from their rows (the state carries only the newest).
 */
export function conversationPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: { id?: string; after?: string } }>(
    '/console/conversations',
    { config: { permission: 'read_config', session: true }, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const id = typeof request.query.id === 'string' ? request.query.id.trim() : '';
      const afterText = typeof request.query.after === 'string' ? request.query.after : '0';
      const after = /^[0-9]{1,10}$/.test(afterText) ? Number(afterText) : -1;
      let result: Html = emptyState(
        'Look up a conversation.',
        'Enter the conversation id your agent uses (its thread id).',
      );
      if (id !== '') {
        try {
          const conversations = orgFor(deps, request).conversations;
          const state = await conversations.get(id);
          // A malformed cursor is the service's VALIDATION_FAILED (shown below), like the API's.
          const history = state === null ? null : await conversations.toolResults(id, { after, limit: PAGE });
          if (state === null || history === null) {
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
  history.toolResults.length === 0
    ? emptyState(
        after === 0 ? 'No tool results yet.' : 'No more tool results.',
        'Results appear here after the agent invokes a module.',
      )
    : html`<div class="table-wrap"><table class="data" data-testid="tool-results"><thead><tr><th>#</th><th>Module</th><th>Action</th><th>Result</th><th>Output</th></tr></thead><tbody>${history.toolResults.map(
        ({ seq, toolResult: t }) =>
          html`<tr><td class="num">${seq}</td><td><code>${t.moduleId}</code></td><td><code>${t.action}</code></td><td>${t.ok ? badge('ok', 'good') : badge(t.error?.code ?? 'failed', 'bad')}</td><td class="details"><code>${JSON.stringify(t.ok ? t.output : t.error)}</code></td></tr>`,
      )}</tbody></table></div>${
        history.nextAfter === null
          ? ''
          : html`<p><a class="button secondary" data-testid="tool-results-next" href="/console/conversations?id=${encodeURIComponent(id)}&amp;after=${String(history.nextAfter)}">Next ${PAGE} results</a></p>`
      }`
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
