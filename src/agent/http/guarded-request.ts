import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { OutboundError } from './outbound-error.js';
import { isPrivateAddress } from './private-address.js';

export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface GuardOptions {
  /** ORGVAULT_HTTP_ALLOW_PRIVATE: lets modules reach loopback and private networks (tests, on-prem). */
  allowPrivate: boolean;
  maxResponseBytes: number;
  /** Aborts the exchange (the caller's deadline). */
  signal: AbortSignal;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A DNS lookup that refuses private addresses. It is handed to the socket itself, so the address
 * checked is the address connected to: a name that resolves to a public address at check time and
 * to 127.0.0.1 at connect time (DNS rebinding) cannot slip through.
 */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(
      hostname,
      { family: options.family ?? 0, hints: options.hints ?? 0, all: true },
      (err, found) => {
        if (err) return callback(err, []);
        const addresses = found as LookupAddress[];
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), []);
        if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
          return callback(refused(), []);
        }
        // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
    );
  };
}

const refused = () =>
  new OutboundError(
    'destination_refused',
    'destination refused: it resolves to a private or loopback address (set ORGVAULT_HTTP_ALLOW_PRIVATE=1 to allow)',
  );

/**
 * One HTTP exchange with the guards of an outbound module call: http/https only, no private
 * destination (checked on the resolved address), a bounded response, and the caller's deadline.
 * Never follows redirects; the caller decides.
 */
export function guardedRequest(req: OutboundRequest, options: GuardOptions): Promise<OutboundResponse> {
  const { url } = req;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(
      new OutboundError('destination_refused', 'only http and https destinations are allowed'),
    );
  }
  // A literal IP never goes through the lookup, so it is checked here.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!options.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    return Promise.reject(refused());
  }
  if (options.signal.aborted) return Promise.reject(timedOut());

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      if (err) {
        request.destroy();
        reject(err);
      } else if (value) resolve(value);
    };
    const onAbort = () => finish(timedOut());

    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: req.method,
      headers: req.headers,
      // A fresh connection per call: no pooled socket outlives the guard that opened it.
      agent: false,
      lookup: guardedLookup(options.allowPrivate),
    });
    options.signal.addEventListener('abort', onAbort, { once: true });

    request.on('error', (err) => {
      if (err instanceof OutboundError) finish(err);
      else if (options.signal.aborted) finish(timedOut());
      else
        finish(
          new OutboundError(
            'network',
            `connection failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          ),
        );
    });
    request.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
        // Settle before destroying: the destroyed socket reports an error of its own.
        finish(tooLarge(options.maxResponseBytes));
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          finish(tooLarge(options.maxResponseBytes));
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', () =>
        finish(options.signal.aborted ? timedOut() : new OutboundError('network', 'response interrupted')),
      );
      res.on('aborted', () => finish(new OutboundError('network', 'response interrupted')));
    });
    request.end(req.body);
  });
}

const timedOut = () => new OutboundError('timeout', 'the module did not answer within its time limit');
const tooLarge = (limit: number) =>
  new OutboundError('response_too_large', `the response is larger than the limit of ${limit} bytes`);
