import type { CredentialValues } from '../../credentials/credential-values.js';
import { VaultError } from '../../errors.js';
import type { HttpSpec } from '../../modules/manifest.js';
import type { OutboundRequest } from './guarded-request.js';

const TEMPLATE = /\{([A-Za-z0-9_]+)\}/g;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function scalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** An own field of a caller's object; an inherited name (constructor, toString, ...) is absent. */
function own(object: Record<string, unknown> | null, name: string): unknown {
  return object !== null && Object.hasOwn(object, name) ? object[name] : undefined;
}

function credential(moduleId: string, credentials: CredentialValues | null, field: string): string {
  const value = own(credentials, field);
  if (value === undefined) {
    throw new VaultError(
      'MODULE_NOT_EXECUTABLE',
      `module "${moduleId}" needs the credential field "${field}"; store the module's credentials first`,
      { field },
    );
  }
  return String(value);
}

/**
 * Turns a declarative action and the caller's input into a request. The destination is the
 * manifest's base URL and nothing else: input only fills `{param}` path segments (percent-encoded,
 * so it cannot add a segment or a host) and the query names the action lists. The credential is
 * injected last, so no input can replace it.
 */
export function buildHttpRequest(
  moduleId: string,
  spec: HttpSpec,
  actionName: string,
  input: Record<string, unknown>,
  credentials: CredentialValues | null,
): OutboundRequest {
  const action = own(spec.actions, actionName) as HttpSpec['actions'][string] | undefined;
  if (!action) {
    throw new VaultError('VALIDATION_FAILED', `module "${moduleId}" has no action "${actionName}"`, {
      field: 'action',
    });
  }
  const base = new URL(spec.base_url);
  const path = action.path.replace(TEMPLATE, (_, name: string) => {
    const value = own(input, name);
    if (!scalar(value) || value === '' || value === '.' || value === '..') {
      throw new VaultError(
        'VALIDATION_FAILED',
        `input.${name} is required by the path of action "${actionName}"`,
        {
          field: `input.${name}`,
        },
      );
    }
    return encodeURIComponent(String(value));
  });
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  url.hash = '';

  for (const name of action.query ?? []) {
    const value = own(input, name);
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (!scalar(v)) {
        throw new VaultError('VALIDATION_FAILED', `input.${name} must be a string, number or boolean`, {
          field: `input.${name}`,
        });
      }
      url.searchParams.append(name, String(v));
    }
  }

  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'accept-encoding': 'identity',
    'user-agent': 'orgvault',
  };
  let body: Buffer | undefined;
  if (BODY_METHODS.has(action.method) && input.body !== undefined) {
    body = Buffer.from(JSON.stringify(input.body));
    headers['content-type'] = 'application/json';
  }

  const auth = spec.auth;
  if (auth?.in === 'query')
    url.searchParams.set(auth.name, credential(moduleId, credentials, auth.credential));
  else if (auth?.in === 'header')
    headers[auth.name.toLowerCase()] = credential(moduleId, credentials, auth.credential);
  else if (auth?.in === 'bearer')
    headers.authorization = `Bearer ${credential(moduleId, credentials, auth.credential)}`;
  else if (auth?.in === 'basic') {
    const pair = `${credential(moduleId, credentials, auth.username)}:${credential(moduleId, credentials, auth.password)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return { url, method: action.method, headers, body };
}
