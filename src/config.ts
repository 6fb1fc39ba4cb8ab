import { resolve } from 'node:path';
import { z } from 'zod';
import { VaultError } from './errors.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

/**
 * Everything orgvault reads from the environment, validated once. The CLI, the HTTP server and the
 * library all build their services from one Config, so they can never disagree about a default.
 */
export interface Config {
  /** `sqlite:<path>` or `postgres://...` */
  databaseUrl: string;
  /** PostgreSQL only: the schema owner's URL, used to run migrations; the runtime URL never owns tables. */
  databaseOwnerUrl: string | undefined;
  dataDir: string;
  /** Raw ORGVAULT_MASTER_KEY (comma-separated list, newest first); undefined when unset. */
  masterKey: string | undefined;
  /** Raw ORGVAULT_AUDIT_SIGNING_KEY (Ed25519 PEM or base64 seeds, newest first); undefined when unset. */
  auditSigningKey: string | undefined;
  host: string;
  port: number;
  logLevel: string;
  redisUrl: string | undefined;
  production: boolean;
  httpAllowPrivate: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  /** ORGVAULT_TRUST_PROXY: none, a hop count, or the proxies' addresses (never "every proxy"). */
  trustProxy: TrustProxy;
  /** Time limit of one module call, built-in or HTTP. */
  httpTimeoutMs: number;
  /** Largest response body an HTTP module may return. */
  httpMaxResponseBytes: number;
  /** Consecutive failures after which a module's calls fail fast (MODULE_UNHEALTHY). */
  breakerFailureThreshold: number;
  /** ORGVAULT_PUBLIC_URL: where browsers and OAuth2 providers reach orgvault (the callback's base); default http://host:port. */
  publicUrl: string;
  /** How long an unhealthy module's calls fail fast before one trial call is let through. */
  breakerCooldownMs: number;
  /** Tool results a conversation's state carries (the newest); older ones are paged from their rows. */
  stateToolResultsWindow: number;
  /** `json` (one JSON object a line) or `pretty`; unset: pretty on a TTY, JSON otherwise. */
  logFormat: 'json' | 'pretty' | undefined;
  /** Share of requests that get a request log line: 1 every one, 0 none (errors are logged anyway). */
  requestLogSample: number;
  /** PostgreSQL: named prepared statements (off behind a transaction-pooling PgBouncer before 1.21). */
  pgPreparedStatements: boolean;
}

export interface ConfigOverrides {
  databaseUrl?: string;
  databaseOwnerUrl?: string;
  masterKey?: string;
  auditSigningKey?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  logLevel?: string;
  redisUrl?: string;
  production?: boolean;
  httpAllowPrivate?: boolean;
  corsOrigins?: string[];
  bodyLimitBytes?: number;
  rateLimitPerMinute?: number;
  authFailuresPerMinute?: number;
  trustProxy?: TrustProxy;
  httpTimeoutMs?: number;
  httpMaxResponseBytes?: number;
  breakerFailureThreshold?: number;
  breakerCooldownMs?: number;
  stateToolResultsWindow?: number;
  logFormat?: 'json' | 'pretty';
  requestLogSample?: number;
  pgPreparedStatements?: boolean;
  publicUrl?: string;
}

const flag = z
  .string()
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const intIn = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const EnvSchema = z.object({
  ORGVAULT_DATABASE_URL: z.string().optional(),
  ORGVAULT_DATABASE_OWNER_URL: z.string().optional(),
  ORGVAULT_DATA_DIR: z.string().optional(),
  ORGVAULT_MASTER_KEY: z.string().optional(),
  ORGVAULT_AUDIT_SIGNING_KEY: z.string().optional(),
  ORGVAULT_HOST: z.string().optional(),
  ORGVAULT_PORT: intIn(0, 65535, 8003),
  ORGVAULT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ORGVAULT_REDIS_URL: z.string().optional(),
  NODE_ENV: z.string().optional(),
  ORGVAULT_HTTP_ALLOW_PRIVATE: flag,
  ORGVAULT_CORS_ORIGINS: z.string().optional(),
  ORGVAULT_BODY_LIMIT: intIn(1024, 16 * 1024 * 1024, 64 * 1024),
  ORGVAULT_RATE_LIMIT_PER_MINUTE: intIn(1, 1_000_000, 1000),
  ORGVAULT_AUTH_FAILURES_PER_MINUTE: intIn(1, 1_000_000, 20),
  ORGVAULT_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const parsed = parseTrustProxy(v);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }),
  ORGVAULT_HTTP_TIMEOUT_MS: intIn(1, 10 * 60 * 1000, 10_000),
  ORGVAULT_HTTP_MAX_RESPONSE_BYTES: intIn(1, 64 * 1024 * 1024, 1024 * 1024),
  ORGVAULT_BREAKER_FAILURES: intIn(1, 1000, 5),
  ORGVAULT_BREAKER_COOLDOWN_MS: intIn(0, 24 * 60 * 60 * 1000, 30_000),
  ORGVAULT_STATE_TOOL_RESULTS_WINDOW: intIn(0, 10_000, 20),
  ORGVAULT_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  ORGVAULT_REQUEST_LOG_SAMPLE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return 1;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: 'must be a number between 0 and 1' });
        return z.NEVER;
      }
      return n;
    }),
  ORGVAULT_PG_PREPARED_STATEMENTS: z.enum(['on', 'off']).optional(),
  ORGVAULT_PUBLIC_URL: z.string().optional(),
});

/** An http(s) origin with an optional path prefix: no user info, query or fragment. */
function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VaultError('CONFIG_INVALID', 'ORGVAULT_PUBLIC_URL must be an http(s) URL');
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new VaultError(
      'CONFIG_INVALID',
      'ORGVAULT_PUBLIC_URL must be an http(s) URL without user info, query or fragment',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A listening address as a URL host: IPv6 in brackets, the wildcard as loopback. */
function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Every environment variable read here (`orgvault --help` lists them; README's table describes them). */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VaultError(
      'CONFIG_INVALID',
      `invalid environment: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const e = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? e.ORGVAULT_DATA_DIR ?? './data');
  const databaseUrl =
    overrides.databaseUrl ?? e.ORGVAULT_DATABASE_URL ?? `sqlite:${resolve(dataDir, 'orgvault.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new VaultError('CONFIG_INVALID', 'ORGVAULT_DATABASE_URL must start with sqlite: or postgres://');
  }
  const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
  const databaseOwnerUrl = blank(overrides.databaseOwnerUrl) ?? blank(e.ORGVAULT_DATABASE_OWNER_URL);
  if (databaseOwnerUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseOwnerUrl)) {
    throw new VaultError('CONFIG_INVALID', 'ORGVAULT_DATABASE_OWNER_URL must start with postgres://');
  }
  return {
    databaseUrl,
    databaseOwnerUrl,
    dataDir,
    masterKey: blank(overrides.masterKey) ?? blank(e.ORGVAULT_MASTER_KEY),
    auditSigningKey: blank(overrides.auditSigningKey) ?? blank(e.ORGVAULT_AUDIT_SIGNING_KEY),
    host: overrides.host ?? e.ORGVAULT_HOST ?? '127.0.0.1',
    port: overrides.port ?? e.ORGVAULT_PORT,
    logLevel: overrides.logLevel ?? e.ORGVAULT_LOG_LEVEL ?? 'info',
    redisUrl: overrides.redisUrl ?? blank(e.ORGVAULT_REDIS_URL),
    production: overrides.production ?? e.NODE_ENV === 'production',
    httpAllowPrivate: overrides.httpAllowPrivate ?? e.ORGVAULT_HTTP_ALLOW_PRIVATE,
    corsOrigins:
      overrides.corsOrigins ??
      (e.ORGVAULT_CORS_ORIGINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    bodyLimitBytes: overrides.bodyLimitBytes ?? e.ORGVAULT_BODY_LIMIT,
    rateLimitPerMinute: overrides.rateLimitPerMinute ?? e.ORGVAULT_RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: overrides.authFailuresPerMinute ?? e.ORGVAULT_AUTH_FAILURES_PER_MINUTE,
    trustProxy: overrides.trustProxy ?? e.ORGVAULT_TRUST_PROXY,
    httpTimeoutMs: overrides.httpTimeoutMs ?? e.ORGVAULT_HTTP_TIMEOUT_MS,
    httpMaxResponseBytes: overrides.httpMaxResponseBytes ?? e.ORGVAULT_HTTP_MAX_RESPONSE_BYTES,
    breakerFailureThreshold: overrides.breakerFailureThreshold ?? e.ORGVAULT_BREAKER_FAILURES,
    breakerCooldownMs: overrides.breakerCooldownMs ?? e.ORGVAULT_BREAKER_COOLDOWN_MS,
    stateToolResultsWindow: overrides.stateToolResultsWindow ?? e.ORGVAULT_STATE_TOOL_RESULTS_WINDOW,
    logFormat: overrides.logFormat ?? e.ORGVAULT_LOG_FORMAT,
    requestLogSample: overrides.requestLogSample ?? e.ORGVAULT_REQUEST_LOG_SAMPLE,
    pgPreparedStatements: overrides.pgPreparedStatements ?? e.ORGVAULT_PG_PREPARED_STATEMENTS !== 'off',
    publicUrl: parsePublicUrl(
      blank(overrides.publicUrl) ??
        blank(e.ORGVAULT_PUBLIC_URL) ??
        `http://${hostForUrl(overrides.host ?? e.ORGVAULT_HOST ?? '127.0.0.1')}:${overrides.port ?? e.ORGVAULT_PORT}`,
    ),
  };
}
