import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';

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
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
  };
  if (options.format === 'pretty') {
    const stream = pretty({
      destination: destination ?? 1,
      colorize: destination === undefined && process.stdout.isTTY === true,
      translateTime: false,
      ignore: 'pid,hostname',
      singleLine: true,
      sync: true,
    });
    return pino(base, stream);
  }
  // stdout by default through an asynchronous writer: a synchronous write a line was the largest
  // part of a request line's cost; lines written while one write is in flight go out together, and
  // pino flushes what is pending when the process exits.
  return pino(base, destination ?? pino.destination({ dest: 1, sync: false }));
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
