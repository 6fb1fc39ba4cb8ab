import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { checkpointToJson } from '../../audit/audit-checkpoint.js';
import { auditExportLine } from '../../audit/audit-event-json.js';
import type { AuditRow } from '../../storage/rows.js';
import type { ConsoleDeps } from '../console-deps.js';
import { contextOf, orgFor, sendPage } from '../console-deps.js';
import { html, when } from '../html.js';
import { badge, emptyState, page } from '../layout.js';

const READ = { permission: 'read_audit', session: true } as const;
const PAGE_SIZE = 50;
/** A filtered page reads at most this many events looking for matches, then offers "older". */
const SCAN_LIMIT = 2000;
const OUTCOME_TONE: Record<string, string> = { success: 'good', failure: 'bad', denied: 'warn' };

interface Query {
  before?: string;
  action?: string;
}

function cleanAction(raw: unknown): string {
  return typeof raw === 'string' && /^[a-z0-9_.:-]{1,64}$/i.test(raw) ? raw : '';
}

/** GET /console/audit (paged, newest first, filter by action, chain check); checkpoint and export downloads. */
export function auditPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: Query }>(
    '/console/audit',
    { config: READ, schema: { hide: true } },
    async (request, reply) => {
      const ctx = contextOf(request, reply);
      const audit = orgFor(deps, request).audit;
      const action = cleanAction(request.query.action);
      const beforeRaw = request.query.before;
      let cursor =
        typeof beforeRaw === 'string' && /^\d{1,10}$/.test(beforeRaw) ? Number(beforeRaw) : undefined;
      const batchSize = action === '' ? PAGE_SIZE : 200;
      const events: AuditRow[] = [];
      let scanned = 0;
      let more = false;
      for (;;) {
        const batch = await audit.list({ limit: batchSize, before: cursor });
        for (const e of batch) {
          cursor = e.seq;
          if (action === '' || e.action === action) events.push(e);
          if (events.length === PAGE_SIZE) break;
        }
        scanned += batch.length;
        const exhausted = batch.length < batchSize || (cursor ?? 1) <= 1;
        if (events.length === PAGE_SIZE || scanned >= SCAN_LIMIT || exhausted) {
          more = !exhausted || (events.length === PAGE_SIZE && (cursor ?? 1) > 1);
          break;
        }
      }
      const chain = await audit.verify();
      const chainCard = chain.ok
        ? html`<p class="notice ok" data-testid="chain">Hash chain intact: ${chain.events} events verified.</p>`
        : html`<p class="notice error" data-testid="chain">Hash chain broken at event ${chain.brokenAt ?? '?'}: ${chain.reason ?? 'mismatch'}. Keep your last checkpoint and alert your operator.</p>`;
      const query = (b: number) =>
        `/console/audit?before=${b}${action === '' ? '' : `&action=${encodeURIComponent(action)}`}`;
      const table =
        events.length === 0
          ? emptyState(
              action === '' ? 'No audit events yet.' : `No “${action}” events here.`,
              action === ''
                ? 'Changes made through the API, the CLI or this console appear here.'
                : html`<a href="/console/audit">Show every action</a>.`,
            )
          : html`<div class="table-wrap"><table class="data cards" data-testid="audit-table">
<thead><tr><th class="num">#</th><th>When</th><th>Action</th><th>Outcome</th><th>Target</th><th>By key</th><th>Details</th></tr></thead>
<tbody>${events.map(
              (
                e,
              ) => html`<tr><td class="num" data-label="#">${e.seq}</td><td data-label="When">${when(e.at)}</td><td data-label="Action"><a href="/console/audit?action=${encodeURIComponent(e.action)}"><code>${e.action}</code></a></td>
<td data-label="Outcome">${badge(e.outcome, OUTCOME_TONE[e.outcome])}</td><td data-label="Target">${e.targetId === null ? '—' : html`<span class="muted">${e.targetType ?? ''}</span> <code>${e.targetId}</code>`}</td>
<td data-label="By key">${e.actorKeyId === null ? html`<span class="muted">local</span>` : html`<code>${e.actorKeyId}</code>`}</td>
<td class="details" data-label="Details">${Object.keys(e.details).length === 0 ? '' : html`<code>${JSON.stringify(e.details)}</code>`}</td></tr>`,
            )}</tbody></table></div>`;
      const pager = html`<nav class="pager">${request.query.before === undefined ? '' : html`<a href="/console/audit${action === '' ? '' : `?action=${encodeURIComponent(action)}`}">Newest</a>`}
${more && cursor !== undefined ? html`<a href="${query(cursor)}" data-testid="older">Older events</a>` : ''}</nav>`;
      const body = html`${chainCard}
<form method="get" action="/console/audit" class="filters"><label for="action">Action</label><input id="action" name="action" value="${action}" placeholder="e.g. module.install"><button type="submit" class="secondary">Filter</button>${action === '' ? '' : html`<a href="/console/audit">Clear</a>`}</form>
<p class="downloads"><a class="button secondary" href="/console/audit/checkpoint" download>Download signed checkpoint</a> <a class="button secondary" href="/console/audit/export" download>Export NDJSON</a></p>
${table}${pager}`;
      return sendPage(reply, page(ctx, '/console/audit', 'Audit trail', body));
    },
  );

  app.get('/console/audit/checkpoint', { config: READ, schema: { hide: true } }, async (request, reply) => {
    const org = orgFor(deps, request);
    const checkpoint = await org.audit.checkpoint();
    return reply
      .header(
        'content-disposition',
        `attachment; filename="audit-checkpoint-${org.orgId}-${checkpoint.seq}.json"`,
      )
      .header('cache-control', 'no-store')
      .type('application/json')
      .send(JSON.stringify(checkpointToJson(checkpoint), null, 2));
  });

  app.get('/console/audit/export', { config: READ, schema: { hide: true } }, async (request, reply) => {
    const org = orgFor(deps, request);
    const events = await org.audit.export(0);
    const lines = Readable.from(
      (async function* () {
        for await (const e of events) yield auditExportLine(e);
      })(),
    );
    return reply
      .header('content-disposition', `attachment; filename="audit-${org.orgId}.ndjson"`)
      .header('cache-control', 'no-store')
      .type('application/x-ndjson')
      .send(lines);
  });
}
