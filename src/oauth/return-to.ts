import { VaultError } from '../errors.js';

const BASE = 'http://orgvault.invalid';

/**
 * Where the callback may send the browser back to: a path of this server under /console, nothing
 * else (no other origin, no scheme-relative `//host`, no backslash tricks). Returns the normalised
 * path and query; VALIDATION_FAILED otherwise.
 */
export function parseReturnTo(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  const fail = () =>
    new VaultError('VALIDATION_FAILED', 'return_to must be a path under /console on this server', {
      field: 'return_to',
    });
  if (typeof input !== 'string' || input.length > 1024 || !input.startsWith('/')) throw fail();
  if (input.startsWith('//') || /[\\\s]/.test(input) || /%2f|%5c/i.test(input.slice(0, 12))) throw fail();
  let url: URL;
  try {
    url = new URL(input, BASE);
  } catch {
    throw fail();
  }
  if (url.origin !== BASE) throw fail();
  if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) throw fail();
  return `${url.pathname}${url.search}`;
}
