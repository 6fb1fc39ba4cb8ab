import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission } from '../auth/permissions.js';
import type { Vault } from '../vault.js';
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

/**
 * A refusal of an authenticated key goes into its own org's audit trail (bounded per key, see
 * DeniedAudit): the route template and permission only, never the URL, its query or the key. A
 * failed write is logged and the caller still gets its 403.
 */
async function recordDenied(vault: Vault, request: FastifyRequest, permission: string): Promise<void> {
  const auth = request.auth;
  const route = request.routeOptions.url;
  if (auth === null || route === undefined) return;
  try {
    await vault.services.deniedAudit.record({
      orgId: auth.orgId,
      keyId: auth.keyId,
      requestId: request.id,
      method: request.method,
      route,
      permission,
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
 */
export function installAuthHook(
  app: FastifyInstance,
  deps: { vault: Vault; metrics: HttpMetrics; limiter: RequestLimiter },
): void {
  const { vault, metrics, limiter } = deps;
  app.decorateRequest('auth', null);
  app.decorateRequest('storageToken', null);
  const storage = vault.services.storage;
  app.addHook('onRequest', async (request, reply) => {
    // Preflights are never blocked by auth (CORS answers them, or the 404 handler does).
    if (request.method === 'OPTIONS') return;
    const config = request.routeOptions.config;
    // Unmatched URLs (404 handler) and public routes need no key.
    if (request.routeOptions.url === undefined || config.public === true) return;
    const permission = config.permission;
    if (permission === undefined) {
      // onRoute refuses such routes at registration; this is the belt to that brace.
      return sendProblem(reply, problem('FORBIDDEN', 'route declares no permission', request.id));
    }
    const client = request.ip;
    const limited = refuseRate(reply, request, await limiter.checkClient(client));
    if (limited) return limited;

    const key = presentedKey(request);
    // Taken before any read of this request: whatever is cached under it is at least this fresh.
    const token = storage.changeToken ? storage.changeToken() : null;
    request.storageToken = token;
    const result =
      key === null
        ? ({ ok: false, code: 'MISSING' } as const)
        : await vault.services.keyVerifier.verify(key, token);
    if (!result.ok) {
      metrics.authFailures.inc({ reason: result.code.toLowerCase() });
      // The reason is for operators only (the client gets the same 401 whatever it was); never the key.
      request.log.info({ reason: result.code }, 'authentication refused');
      await limiter.recordAuthFailure(client);
      return sendProblem(reply, problem('UNAUTHENTICATED', 'a valid API key is required', request.id));
    }
    request.auth = { orgId: result.orgId, keyId: result.keyId, role: result.role };
    const keyLimited = refuseRate(
      reply,
      request,
      await limiter.checkKey(request.auth, result.rateLimitPerMinute),
    );
    if (keyLimited) return keyLimited;
    if (!hasPermission(result.role, permission)) {
      await recordDenied(vault, request, permission);
      return sendProblem(
        reply,
        problem('FORBIDDEN', `role ${result.role} lacks the ${permission} permission`, request.id),
      );
    }
  });
}
