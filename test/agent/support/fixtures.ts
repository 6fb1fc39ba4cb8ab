import type { InvocationError } from '../../../src/agent/invocation-error.js';
import { VaultError } from '../../../src/errors.js';

/** A declarative HTTP module manifest pointing at a test server; a fresh object per call. */
export function httpModule(
  moduleId: string,
  baseUrl: string,
  extra: { auth?: Record<string, unknown>; actions?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const [category, platform] = moduleId.split('/') as [string, string];
  return {
    name: platform,
    category,
    platform,
    version: '1.0.0',
    auth_type: 'api_key',
    credential_fields: [{ name: 'api_key', required: true }],
    http: {
      base_url: baseUrl,
      auth: extra.auth ?? { in: 'header', name: 'X-Api-Key', credential: 'api_key' },
      actions: extra.actions ?? {
        current: { method: 'GET', path: '/weather', query: ['q', 'units'] },
      },
    },
  };
}

/** Runs a call expected to fail and returns the error (an InvocationError when it was recorded). */
export async function failure(promise: Promise<unknown>): Promise<InvocationError & VaultError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VaultError) return err as InvocationError & VaultError;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Everything a logger was handed, one line per call, as text. */
export function captureLogger(): { lines: string[]; logger: { info: Log; warn: Log } } {
  const lines: string[] = [];
  const log: Log = (fields, message) => {
    lines.push(`${message} ${JSON.stringify(fields)}`);
  };
  return { lines, logger: { info: log, warn: log } };
}

type Log = (fields: Record<string, unknown>, message: string) => void;
