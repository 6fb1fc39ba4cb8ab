import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { BatchedDestination } from './batched-destination.js';

/**
 * Paths pino blanks out wherever they occur in a log line: keys and credentials must never reach a
 * log, even if some future line logs a header set or a body. Every header that can carry a secret
 * is listed, on requests and responses alike.
 */
const SECRET_HEADERS = ['authorization', '"x-api-key"', 'cookie', '"set-cookie"', '"proxy-authorization"'];
const header = (prefix: string, name: string) =>
  name.startsWith('"') ? `${prefix}[${name}]` : `${prefix}.${name}`;

export const REDACT_PATHS = [
  ...['req.headers', 'res.headers', 'headers', '*.headers'].flatMap((prefix) =>
    SECRET_HEADERS.map((name) => header(prefix, name)),
  ),
  'api_key',
  'apiKey',
  'credentials',
  'secret',
  'password',
  '*.api_key',
  '*.apiKey',
  '*.credentials',
  '*.secret',
  '*.password',
  '*.*.api_key',
  '*.*.credentials',
];

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  routeOptions?: { url?: string };
  socket?: { remoteAddress?: string; remotePort?: number };
}

/**
 * The path of a URL with every query value gone: `/v1/me?api_key=ovk_...` logs as `/v1/me?[redacted]`.
 * The query is dropped whole (names too): a key sent as `?ovk_...` would be a name.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?[redacted]`;
}

/**
 * How a request appears in a log line (Fastify's "incoming request" and error lines): method, path
 * without the query, route template, client address. Never headers, never query values: a key
 * pasted into a URL (`?api_key=`), an OAuth `state` or `code` would otherwise be logged whole.
 */
export function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: loggableUrl(req.url),
    route: req.routeOptions?.url,
    host: req.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

export type LogFormat = 'json' | 'pretty';

/** `pretty` when asked, or when unset and stdout is a terminal; JSON lines otherwise. */
export function logFormatFor(
  format: LogFormat | undefined,
  isTty = process.stdout.isTTY === true,
): LogFormat {
  return format ?? (isTty ? 'pretty' : 'json');
}

/**
 * The request line's own logger per logger made here: the same level, times and destination, but
 * no redaction. Redaction of `*.` paths runs a wildcard stringifier on every field of every line,
 * most of a request line's cost; the request line needs none because every field of it is built by
 * the server from known-safe values (see RequestLine). Everything else goes through the redacting
 * logger.
 */
const requestLineLoggers = new WeakMap<Logger, Logger>();

/**
 * The one line written per request, field by field: nothing here is client-chosen free text but the
 * path (its query dropped, see loggableUrl) and a client request id that passed its plain-id check.
 * Add a field only if it can never carry a secret.
 */
export interface RequestLine {
  reqId: string;
  client_request_id?: string;
  method: string;
  url: string;
  route: string;
  status: number;
  ms: number;
}

/** The unredacted sibling of a logger made by createLogger; undefined for any other logger. */
export function requestLineLoggerOf(logger: Logger): Logger | undefined {
  return requestLineLoggers.get(logger);
}

/**
 * pino's ISO-8601 `time` field (as `stdTimeFunctions.isoTime` writes it), formatted once a
 * millisecond: at thousands of lines a second most lines share their millisecond, and formatting
 * a Date was the largest single part of building a request line.
 */
export function isoTimeEachMillisecond(now: () => number = Date.now): () => string {
  let at = Number.NaN;
  let field = '';
  return () => {
    const ms = now();
    if (ms !== at) {
      at = ms;
      field = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return field;
  };
}

/**
 * The server's logger: ISO-8601 times, redaction of every secret path. `destination` lets tests read
 * what would have been logged; `pretty` renders lines for a person (in-process, after redaction, so
 * it sees only what a JSON line would carry).
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  options: { format?: LogFormat } = {},
): Logger {
  const base = {
    level,
    timestamp: isoTimeEachMillisecond(),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
  };
  // stdout by default through an asynchronous writer: a synchronous write a line was the largest
  // part of a request line's cost; lines go out in batches of at most 10 ms (see
  // BatchedDestination), and what is pending is written when the process exits.
  const stream =
    options.format === 'pretty'
      ? pretty({
          destination: destination ?? 1,
          colorize: destination === undefined && process.stdout.isTTY === true,
          translateTime: false,
          ignore: 'pid,hostname',
          singleLine: true,
          sync: true,
        })
      : (destination ?? new BatchedDestination(pino.destination({ dest: 1, sync: false })));
  const logger = pino(base, stream);
  requestLineLoggers.set(logger, pino({ level, timestamp: isoTimeEachMillisecond() }, stream));
  return logger;
}

/**
 * Whether this request gets its one log line: every one at 1, none at 0, a random share between.
 * Server errors are always logged (their own error line names them anyway).
 */
export function requestLogSampler(sample: number): (status: number) => boolean {
  if (sample >= 1) return () => true;
  if (sample <= 0) return (status) => status >= 500;
  return (status) => status >= 500 || Math.random() < sample;
}

/**
 * A child of any logger handed to buildApp that logs requests through serializeRequest, so even a
 * plain pino logger (without createLogger's serializer) never logs a query value.
 */
export function withSafeRequestLogging(logger: Logger): Logger {
  return logger.child({}, { serializers: { req: serializeRequest } });
}

/**
 * `request.log`, made on its first use. Fastify makes a child logger per request, and a pino child
 * runs its bindings through the redacting stringifiers (and sets its level) when made: work per
 * request that most requests never use, since their one line goes through the request-line logger.
 * A request that does log (a refusal, an error) gets the very child Fastify would have made.
 */
export class LazyChildLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Record<string, unknown>,
  ) {}

  private get real(): Logger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.real.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.real.isLevelEnabled(level);
  }

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): Logger {
    return this.real.child(bindings, options);
  }

  private log(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    const real = this.real;
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }

  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
  silent(): void {}
}
