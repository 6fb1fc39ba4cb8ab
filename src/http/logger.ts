import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino blanks out wherever they occur in a log line: keys and credentials must never reach a
 * log, even if some future line logs a header set or a body.
 */
export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
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

/** The server's logger; `destination` lets tests read what would have been logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
