/** Why an outbound call did not produce a response the runtime may use. */
export type OutboundFailure =
  | 'destination_refused'
  | 'redirect_refused'
  | 'response_too_large'
  | 'timeout'
  | 'network';

/**
 * A failed outbound HTTP exchange. Messages name the failure, never the URL: a URL may carry an
 * injected query credential, and the runtime scrubs messages anyway but should have nothing to scrub.
 */
export class OutboundError extends Error {
  readonly reason: OutboundFailure;

  constructor(reason: OutboundFailure, message: string) {
    super(message);
    this.name = 'OutboundError';
    this.reason = reason;
  }
}
