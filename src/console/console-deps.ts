import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { RequestLimiter } from '../http/rate-limiter.js';
import { callerOf, orgOf } from '../http/route-config.js';
import type { OrgVault, Vault } from '../vault.js';
import type { Html } from './html.js';
import type { PageContext } from './layout.js';
import type { ConsoleSessions } from './session.js';

/** What a console page file gets: built once per app, no module-level state. */
export interface ConsoleDeps {
  vault: Vault;
  config: Config;
  limiter: RequestLimiter;
  sessions: ConsoleSessions;
}

/** The page frame's context for a signed-in request: who, and a fresh CSRF token bound to the key. */
export function contextOf(request: FastifyRequest, reply: FastifyReply): PageContext {
  const auth = callerOf(request);
  return { auth, csrf: reply.generateCsrf({ userInfo: auth.keyId }) };
}

/** The same door as the API: the caller's org, with the caller's key, role and request id as actor. */
export function orgFor(deps: ConsoleDeps, request: FastifyRequest): OrgVault {
  return orgOf(deps.vault, request);
}

/** Pages are never cached: they may show a key once, and they are a signed-in person's view. */
export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body.text);
}

/** After a change: back to a page, with a short fixed message code (never caller text) in the URL. */
export function seeOther(reply: FastifyReply, path: string, done?: string): FastifyReply {
  const url = done === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}done=${done}`;
  return reply.code(303).header('cache-control', 'no-store').redirect(url);
}

/** The fixed messages a `done=` code may show. */
export const DONE_MESSAGES: Readonly<Record<string, string>> = {
  installed: 'Module installed.',
  replaced: 'Module updated.',
  enabled: 'Module enabled.',
  disabled: 'Module disabled.',
  unchanged: 'Nothing changed: the module was already in that state.',
  uninstalled: 'Module uninstalled, with its credentials.',
  stored: 'Credentials saved. They cannot be read back here.',
  deleted: 'Credentials deleted.',
  revoked: 'Key revoked. It stops working at once.',
};

export function doneMessage(query: unknown): string | null {
  const done = (query as { done?: unknown } | undefined)?.done;
  return typeof done === 'string' ? (DONE_MESSAGES[done] ?? null) : null;
}
