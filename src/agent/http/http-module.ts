import type { CredentialValues } from '../../credentials/credential-values.js';
import type { HttpSpec } from '../../modules/manifest.js';
import { buildHttpRequest } from './build-request.js';
import { guardedRequest, type OutboundRequest, type OutboundResponse } from './guarded-request.js';
import { OutboundError } from './outbound-error.js';

export interface HttpModuleOptions {
  allowPrivate: boolean;
  maxResponseBytes: number;
  /** Same-origin redirects followed before giving up. */
  maxRedirects?: number;
}

/** What a declarative module returns: the upstream status and its body (parsed JSON, else text). */
export interface HttpModuleResult {
  status: number;
  body: unknown;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Runs declarative HTTP modules: orgvault makes the call and injects the credential, like a proxy.
 * Redirects are followed only within the manifest's origin (scheme, host and port), so a module can
 * never be bounced to a host its manifest does not name, with or without the credential.
 */
export class HttpModuleExecutor {
  private readonly options: Required<HttpModuleOptions>;

  constructor(options: HttpModuleOptions) {
    this.options = { maxRedirects: 5, ...options };
  }

  async execute(
    moduleId: string,
    spec: HttpSpec,
    action: string,
    input: Record<string, unknown>,
    credentials: CredentialValues | null,
    signal: AbortSignal,
  ): Promise<HttpModuleResult> {
    let request: OutboundRequest = buildHttpRequest(moduleId, spec, action, input, credentials);
    const origin = request.url.origin;
    // A query credential rides on the URL, which a redirect replaces: carry it over (same origin only).
    const queryAuth =
      spec.auth?.in === 'query'
        ? ([spec.auth.name, request.url.searchParams.get(spec.auth.name)] as const)
        : null;
    const guard = {
      allowPrivate: this.options.allowPrivate,
      maxResponseBytes: this.options.maxResponseBytes,
      signal,
    };
    for (let hop = 0; ; hop++) {
      const response = await guardedRequest(request, guard);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || location === undefined) return decode(response);
      if (hop >= this.options.maxRedirects) {
        throw new OutboundError('redirect_refused', `more than ${this.options.maxRedirects} redirects`);
      }
      let next: URL;
      try {
        next = new URL(location, request.url);
      } catch {
        throw new OutboundError('redirect_refused', 'the module answered with an invalid redirect');
      }
      if (next.origin !== origin) {
        throw new OutboundError('redirect_refused', 'redirect to another host refused');
      }
      if (queryAuth?.[1] != null) next.searchParams.set(queryAuth[0], queryAuth[1]);
      // 303, and 301/302 after a POST, turn into a GET without a body (as browsers and fetch do).
      const keepsMethod = response.status === 307 || response.status === 308 || request.method === 'GET';
      const headers = { ...request.headers };
      if (!keepsMethod) delete headers['content-type'];
      request = {
        url: next,
        method: keepsMethod ? request.method : 'GET',
        headers,
        body: keepsMethod ? request.body : undefined,
      };
    }
  }
}

function decode(response: OutboundResponse): HttpModuleResult {
  const text = response.body.toString('utf8');
  const type = String(response.headers['content-type'] ?? '');
  if (/\bjson\b/i.test(type)) {
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      // A body that claims JSON and is not: hand it over as text.
    }
  }
  return { status: response.status, body: text };
}
