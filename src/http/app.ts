import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RouteOptions,
} from 'fastify';
import type { Logger } from 'pino';
import type { Permission } from '../auth/permissions.js';
import type { Config } from '../config.js';
import { consolePlugin } from '../console/plugin.js';
import { VaultError } from '../errors.js';
import { fastifyTrustProxy } from '../trust-proxy.js';
import type { Vault } from '../vault.js';
import { internalsOf } from '../vault-internals.js';
import { installAuthHook, recordDenied } from './auth-hook.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import {
  createLogger,
  LazyChildLogger,
  logFormatFor,
  loggableUrl,
  type RequestLine,
  requestLineLoggerOf,
  requestLogSampler,
  withSafeRequestLogging,
} from './logger.js';
import { HttpMetrics } from './metrics.js';
import { OPENAPI_TAGS, openApiOptions } from './openapi-document.js';
import { problem, sendProblem, toProblem } from './problem.js';
import { NO_LIMITS, type RequestLimiter } from './rate-limiter.js';
import { clientRequestIdOf } from './request-ids.js';
import type { DeclaredRoute } from './route-config.js';
import { registerRoutes } from './routes/index.js';
import { SHARED_SCHEMAS } from './schemas.js';

export interface BuildAppOptions {
  vault: Vault;
  /** Defaults to the vault's own Config. */
  config?: Config;
  /** A pino logger; one is made from config.logLevel (with redaction) otherwise. */
  logger?: Logger;
  /** Rate limits (per key, per failing client); none by default. */
  limiter?: RequestLimiter;
}

/**
 * Fails registration of a route that declares neither a permission nor public, or that is in the
 * OpenAPI document without an operationId and a known tag; records the rest.
 */
function declarationOf(route: RouteOptions): DeclaredRoute {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const config = (route.config ?? {}) as { permission?: Permission; public?: boolean; session?: boolean };
  // CORS preflight routes (registered by @fastify/cors) are public by nature.
  if (methods.every((m) => m === 'OPTIONS')) {
    route.config = { ...config, public: true } as RouteOptions['config'];
    return {
      methods,
      url: route.url,
      permission: undefined,
      public: true,
      session: false,
      operationId: undefined,
    };
  }
  const declared = (config.permission !== undefined ? 1 : 0) + (config.public === true ? 1 : 0);
  if (declared !== 1) {
    throw new Error(
      `route ${methods.join(',')} ${route.url} must declare exactly one of config.permission or config.public`,
    );
  }
  const schema = (route.schema ?? {}) as { operationId?: string; tags?: string[]; hide?: boolean };
  // HEAD twins of GET routes are Fastify's own and left out of the document.
  const documented = schema.hide !== true && !methods.every((m) => m === 'HEAD');
  if (documented) {
    const tags = schema.tags ?? [];
    if (typeof schema.operationId !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(schema.operationId)) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} must declare schema.operationId (camelCase, unique), ` +
          'or schema.hide: true to stay out of /openapi.json',
      );
    }
    if (tags.length === 0 || !tags.every((t) => Object.hasOwn(OPENAPI_TAGS, t))) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} must declare schema.tags from OPENAPI_TAGS ` +
          `(src/http/openapi-document.ts): ${Object.keys(OPENAPI_TAGS).join(', ')}`,
      );
    }
  }
  return {
    methods,
    url: route.url,
    permission: config.permission,
    public: config.public === true,
    session: config.session === true,
    operationId: documented ? schema.operationId : undefined,
  };
}

/**
 * The HTTP API as a Fastify instance, built from the given vault and config (no globals; two apps
 * in one process share nothing). The caller listens and closes; closing the app does not close the
 * vault.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { vault } = options;
  const config = options.config ?? vault.config;
  const limiter = options.limiter ?? NO_LIMITS;
  const metrics = new HttpMetrics();
  const logger =
    options.logger ?? createLogger(config.logLevel, undefined, { format: logFormatFor(config.logFormat) });
  // Request lines go to createLogger's unredacted sibling (every field known-safe, see RequestLine);
  // with any other logger they go through that logger, redaction and all.
  const lineLogger = requestLineLoggerOf(logger);
  const app = Fastify({
    // pino's Logger is what Fastify expects; its own type is narrower than pino's declaration.
    loggerInstance: withSafeRequestLogging(logger) as FastifyBaseLogger,
    // Fastify's own two lines a request (incoming, completed), each serialising the request, are
    // replaced by one line written in onResponse below, which can be sampled or turned off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // The request id (x-request-id, problem bodies, audit rows) is always the server's own: a
    // client-chosen one could be replayed to make two requests look like one in the audit trail.
    // The client's own id, when plain, travels beside it (x-client-request-id, client_request_id).
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // Made on first use (see LazyChildLogger): most requests log only their request line.
    childLoggerFactory: (logger, bindings, opts, rawReq) => {
      const clientId = clientRequestIdOf(rawReq);
      return new LazyChildLogger(
        logger as Logger,
        clientId === null ? bindings : { ...bindings, client_request_id: clientId },
        opts as Record<string, unknown>,
      ) as unknown as FastifyBaseLogger;
    },
    routerOptions: { maxParamLength: 200 },
    // Bad URL encodings and over-long path segments never reach a route: answer them as problems too.
    frameworkErrors: (err, request, reply) => {
      const detail = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'path segment too long' : 'malformed URL';
      reply.header('x-request-id', request.id);
      return sendProblem(reply, problem('VALIDATION_FAILED', detail, request.id));
    },
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true },
    },
  });

  const routeTable: DeclaredRoute[] = [];
  app.decorate('routeTable', routeTable);
  const operationIds = new Set<string>();
  app.addHook('onRoute', (route) => {
    const declared = declarationOf(route);
    if (declared.operationId !== undefined) {
      if (operationIds.has(declared.operationId)) {
        throw new Error(`route ${route.url}: operationId "${declared.operationId}" is already taken`);
      }
      operationIds.add(declared.operationId);
    }
    routeTable.push(declared);
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, openApiOptions(config));
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'PUT', 'POST', 'DELETE'],
      allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'x-client-request-id', 'retry-after'],
      maxAge: 600,
    });
  }

  // Fastify parses text/plain by default; a text body would then fail a route's schema with "body
  // must be object". Without the parser it is refused as a content type, saying which one to send.
  app.removeContentTypeParser('text/plain');
  // An empty body with a JSON content type means "no body" (curl -X POST -H 'content-type: ...').
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    if (jsonDepthExceeds(body as string)) {
      return done(
        new VaultError('VALIDATION_FAILED', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`),
        undefined,
      );
    }
    defaultJson(request, body as string, done);
  });

  installAuthHook(app, { vault, metrics, limiter });
  // Once closing, answers ask the client to drop its keep-alive connection; otherwise an idle
  // keep-alive socket opened before close() would hold the shutdown open indefinitely.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook: no promise per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    const clientId = clientRequestIdOf(request.raw);
    if (clientId !== null) reply.header('x-client-request-id', clientId);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const logged = requestLogSampler(config.requestLogSample);
  // A callback hook, not an async one: no promise per request on the hottest hook.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const elapsed = reply.elapsedTime;
    metrics.recordRequest(request.method, route, status, elapsed / 1000);
    // The line carries what a reader needs and nothing to serialise: the URL without its query (a
    // key or an OAuth code may sit there), the client's request id only when plain.
    if (logged(status)) {
      const line: RequestLine = {
        reqId: request.id,
        method: request.method,
        url: loggableUrl(request.url) ?? '',
        route,
        status,
        ms: Math.round(elapsed * 10) / 10,
      };
      if (lineLogger === undefined) {
        const { reqId: _bound, ...rest } = line;
        request.log.info(rest, 'request completed');
      } else {
        const clientId = clientRequestIdOf(request.raw);
        if (clientId !== null) line.client_request_id = clientId;
        lineLogger.info(line, 'request completed');
      }
    }
    done();
  });
  app.setErrorHandler(async (err, request, reply) => {
    const p = toProblem(err, request);
    // A route's own refusal of an authenticated caller (a key above its role, a credential's
    // destination) is audited like the auth hook's, within the same per-key bound.
    if (p.status === 403 && request.auth !== null) {
      await recordDenied(
        vault,
        request,
        request.routeOptions.config.permission ?? 'none',
        p.reason ?? p.code,
      );
    }
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem('NOT_FOUND', `no such route: ${request.method} ${request.url.slice(0, 200)}`, request.id),
    ),
  );

  registerRoutes(app, { vault, config, metrics });
  // The web console, in its own plugin scope (cookies, form bodies, security headers stay there).
  await app.register(consolePlugin, { vault, config, limiter, sessions: internalsOf(vault).consoleSessions });
  return app;
}
