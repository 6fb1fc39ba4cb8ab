import * as oauth from 'oauth4webapi';
import { guardedRequest } from '../agent/http/guarded-request.js';
import { OutboundError } from '../agent/http/outbound-error.js';

export interface OutboundRules {
  /** ORGVAULT_HTTP_ALLOW_PRIVATE: loopback and private providers, and plain http, are allowed. */
  allowPrivate: boolean;
  maxResponseBytes: number;
  timeoutMs: number;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * The options every oauth4webapi request of orgvault carries: its requests go through the same
 * guard as HTTP modules (private and loopback addresses refused on the resolved address, a bounded
 * answer, a deadline, no redirects followed), https only unless private destinations are allowed.
 */
export function outboundOptions(rules: OutboundRules): {
  [oauth.customFetch]: (url: string, options: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;
  [oauth.allowInsecureRequests]: boolean;
  signal: AbortSignal;
} {
  const signal = AbortSignal.timeout(rules.timeoutMs);
  const fetchGuarded = async (
    url: string,
    options: oauth.CustomFetchOptions<string, unknown>,
  ): Promise<Response> => {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !rules.allowPrivate) {
      throw new OutboundError(
        'destination_refused',
        'OAuth2 endpoints must use https (set ORGVAULT_HTTP_ALLOW_PRIVATE=1 to allow http)',
      );
    }
    const body =
      options.body === undefined || options.body === null ? undefined : Buffer.from(String(options.body));
    const res = await guardedRequest(
      {
        url: target,
        method: options.method,
        headers: { ...options.headers, 'user-agent': 'orgvault' },
        body,
      },
      {
        allowPrivate: rules.allowPrivate,
        maxResponseBytes: rules.maxResponseBytes,
        signal: options.signal ?? signal,
      },
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    return new Response(NULL_BODY.has(res.status) ? null : new Uint8Array(res.body), {
      status: res.status,
      headers,
    });
  };
  return {
    [oauth.customFetch]: fetchGuarded,
    [oauth.allowInsecureRequests]: rules.allowPrivate,
    signal,
  };
}
