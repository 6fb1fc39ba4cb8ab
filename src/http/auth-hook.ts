import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseApiKey } from '../auth/api-key-format.js';
import { hasPermission, type Permission } from '../auth/permissions.js';
import { VaultError } from '../errors.js';
import type { Vault } from '../vault.js';
import { internalsOf } from '../vault-internals.js';
import type { HttpMetrics } from './metrics.js';
import { problem, sendProblem } from './problem.js';
import type { RateDecision, RequestLimiter } from './rate-limiter.js';

/** The key from `X-API-Key` or `Authorization: Bearer`; null when absent or sent more than once. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header.trim();
  const authz = request.headers.authorization;
  if (typeof authz === 'string') {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(authz);
    return match?.[1] ?? null;
  }
  return null;
}

function refuseRate(
  reply: FastifyReply,
  request: FastifyRequest,
  decision: RateDecision,
): FastifyReply | null {
  if (decision.ok) return null;
  reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterSeconds))));
  return sendProblem(reply, problem('RATE_LIMITED', 'too many requests', request.id));
}

/** How authentication of a request ended: let through, answered (a refusal), or not yet known. */
type Outcome = 'allowed' | 'replied' | 'undecided';

/** The key id a presented key names (`ovk_<keyId>_...`), valid or not; null for legacy or malformed keys. */
function namedKeyId(key: string | null): string | null {
  if (key === null) return null;
  const parsed = parseApiKey(key);
  return parsed.kind === 'ovk' ? parsed.keyId : null;
}

/**
 * A refusal of an authenticated key goes into its own org's audit trail (bounded per key, see
 * DeniedAudit): the route template and permission only, never the URL, its query or the key. A
 * failed write is logged and the caller still gets its 403.
 */
export async function recordDenied(
  vault: Vault,
  request: FastifyRequest,
  permission: string,
  reason?: string,
): Promise<void> {
  const auth = request.auth;
  const route = request.routeOptions.url;
  if (auth === null || route === undefined) return;
  try {
    await internalsOf(vault).deniedAudit.record({
      orgId: auth.orgId,
      keyId: auth.keyId,
      requestId: request.id,
      method: request.method,
      route,
      permission,
      reason,
    });
  } catch (err) {
    request.log.error({ err }, 'could not audit a denied request');
  }
}

/**
 * Authentication and authorization for every route, in one place. Runs onRequest, before the body
 * is read, so an anonymous client cannot make the server parse anything. Every refusal of a key
 * (unknown, wrong secret, revoked, expired, grace over) gets the same 401 body, so a client cannot
 * tell which one it hit.
 *
 * A presented key is verified before any failure limit is consulted: a valid key is never refused
 * because its address (a NAT, a proxy, an attacker next door) or its key id was guessed at. Only a
 * failed attempt is counted, per client and per key id, and past the limit answered 429.
 */
export function installAuthHook(
  app: FastifyInstance,
  deps: { vault: Vault; metrics: HttpMetrics; limiter: RequestLimiter },
): void {
  const { vault, metrics, limiter } = deps;
  const sessions = internalsOf(vault).consoleSessions;
  app.decorateRequest('auth', null);
  app.decorateRequest('storageToken', null);
  // Not tenant doors: the key verifier (with the change token) and the storage live beneath them.
  const internals = internalsOf(vault);
  const storage = internals.storage;
  /**
   * An API key whose answer is at hand: its row remembered under `tokens`, and a limiter counting in
   * this process. Decided without a promise (the hot path of every request), with the same checks in
   * the same order as `authenticate` below; 'undecided' leaves the request to it untouched (a refusal
   * of the key is counted there, a refusal by role is audited there).
   */
  const authenticateNow = (
    request: FastifyRequest,
    reply: FastifyReply,
    permission: Permission,
    tokens: { data: string; auth: string },
  ): Outcome => {
    const key = presentedKey(request);
    if (key === null || limiter.checkKeyNow === undefined) return 'undecided';
    const result = internals.keyVerifier.verifyNow(key, tokens.auth);
    if (result === undefined || !result.ok || !hasPermission(result.role, permission)) return 'undecided';
    const auth = { orgId: result.orgId, keyId: result.keyId, role: result.role };
    const decision = limiter.checkKeyNow(auth, result.rateLimitPerMinute);
    if (decision === undefined) return 'undecided';
    request.storageToken = tokens.data;
    request.auth = auth;
    return refuseRate(reply, request, decision) ? 'replied' : 'allowed';
  };

  /**
   * Requests read in this turn of the event loop, waiting for the change tokens. The tokens are
   * read once for all of them, in a setImmediate: after the poll phase has read every request of
   * the turn from its socket, so a commit of another process that finished before any of them was
   * sent is seen by all (the guarantee one read a request gives), for one system call (the WAL-index
   * `pread`, the largest single cost of a cached answer on the machine of issue 14) a turn instead
   * of one a request.
   */
  let waiting: Waiting[] = [];
  const decideWaiting = () => {
    const turn = waiting;
    waiting = [];
    let tokens: { data: string; auth: string } | null = null;
    try {
      tokens = storage.changeTokens ? storage.changeTokens() : null;
    } catch {
      // The asynchronous path reads them again and fails (or answers) each request on its own.
    }
    for (const w of turn) {
      let outcome: Outcome;
      try {
        outcome = tokens === null ? 'undecided' : authenticateNow(w.request, w.reply, w.permission, tokens);
      } catch (err) {
        w.done(err as Error);
        continue;
      }
      if (outcome === 'allowed') w.done();
      else if (outcome === 'undecided') finish(authenticate(w.request, w.reply, w.permission), w.done);
    }
  };

  /** Every other request: console sessions, keys to look up or refuse, limiters that must wait. */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    permission: Permission,
  ): Promise<Outcome> => {
    if (request.routeOptions.config.session === true) {
      // Console pages: the caller is the key behind the session cookie, re-checked now. Refusals are
      // thrown so the console's error handler answers them as pages (sign-in, "not allowed").
      const identity = await sessions.identify(request);
      if (!identity.ok) throw new VaultError('UNAUTHENTICATED', 'sign in to continue');
      request.auth = { orgId: identity.orgId, keyId: identity.keyId, role: identity.role };
      const limited = await limiter.checkKey(request.auth, identity.rateLimitPerMinute);
      if (!limited.ok) throw new VaultError('RATE_LIMITED', 'too many requests: wait a moment');
      if (!hasPermission(identity.role, permission)) {
        throw new VaultError('FORBIDDEN', `your role (${identity.role}) cannot do this`);
      }
      return 'allowed';
    }
    const key = presentedKey(request);
    // Taken before any read of this request: whatever is cached under them is at least this fresh.
    // Both from one read of the storage where it can (one PRAGMA a request on SQLite).
    const tokens = storage.changeTokens ? storage.changeTokens() : null;
    request.storageToken = tokens !== null ? tokens.data : storage.changeToken ? storage.changeToken() : null;
    const result =
      key === null
        ? ({ ok: false, code: 'MISSING' } as const)
        : await internals.keyVerifier.verify(
            key,
            tokens !== null ? tokens.auth : internals.keyVerifier.changeToken(),
          );
    if (!result.ok) {
      // One unlabelled counter: /metrics is public, and a reason label would tell a caller what
      // its 401 hides (e.g. that the key it holds was revoked). The reason is in the operator log only.
      metrics.authFailures.inc();
      request.log.info({ reason: result.code }, 'authentication refused');
      const limited = refuseRate(
        reply,
        request,
        await limiter.recordAuthFailure({ client: request.ip, keyId: namedKeyId(key) }),
      );
      if (!limited) sendProblem(reply, problem('UNAUTHENTICATED', 'a valid API key is required', request.id));
      return 'replied';
    }
    request.auth = { orgId: result.orgId, keyId: result.keyId, role: result.role };
    if (refuseRate(reply, request, await limiter.checkKey(request.auth, result.rateLimitPerMinute))) {
      return 'replied';
    }
    if (!hasPermission(result.role, permission)) {
      await recordDenied(vault, request, permission);
      sendProblem(
        reply,
        problem('FORBIDDEN', `role ${result.role} lacks the ${permission} permission`, request.id),
      );
      return 'replied';
    }
    return 'allowed';
  };

  // A callback hook: the common request is decided without a promise (see authenticateNow), once
  // the turn's requests are read (see decideWaiting). After a reply is sent, `done` is never called,
  // so nothing further of the request runs.
  app.addHook('onRequest', (request, reply, done) => {
    // Preflights are never blocked by auth (CORS answers them, or the 404 handler does).
    if (request.method === 'OPTIONS') return done();
    // Read once: Fastify builds a new routeOptions object on every access.
    const { config, url } = request.routeOptions;
    // Unmatched URLs (404 handler) and public routes need no key.
    if (url === undefined || config.public === true) return done();
    const permission = config.permission;
    if (permission === undefined) {
      // onRoute refuses such routes at registration; this is the belt to that brace.
      sendProblem(reply, problem('FORBIDDEN', 'route declares no permission', request.id));
      return;
    }
    if (config.session === true || !storage.changeTokens || limiter.checkKeyNow === undefined) {
      finish(authenticate(request, reply, permission), done);
      return;
    }
    if (waiting.length === 0) setImmediate(decideWaiting);
    waiting.push({ request, reply, permission, done });
  });
}

/** A request in the turn's batch (see decideWaiting). */
interface Waiting {
  request: FastifyRequest;
  reply: FastifyReply;
  permission: Permission;
  done: (err?: Error) => void;
}

/** Lets the request go on once `authenticate` allowed it; an error goes to the error handler. */
function finish(outcome: Promise<Outcome>, done: (err?: Error) => void): void {
  outcome.then(
    (o) => {
      if (o === 'allowed') done();
    },
    (err: Error) => done(err),
  );
}
