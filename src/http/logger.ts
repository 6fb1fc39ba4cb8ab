import { type Logger, pino } from 'pino';

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

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
