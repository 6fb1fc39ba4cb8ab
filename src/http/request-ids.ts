import type { IncomingMessage } from 'node:http';

/** A client's own request id is kept (beside ours, never instead of it) only when short and plain. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The client's `x-request-id`, when it is short and plain (letters, digits, `._:-`, at most 64);
 * null otherwise. It is only ever echoed as `x-client-request-id` and logged as `client_request_id`:
 * the request id of a response, a problem body or an audit event is always the server's own.
 */
export function clientRequestIdOf(req: IncomingMessage): string | null {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : null;
}
