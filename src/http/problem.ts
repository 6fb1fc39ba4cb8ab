import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ContractCode,
  ERROR_STATUS,
  ERROR_TITLES,
  type ErrorCode,
  httpFormOf,
  isVaultError,
} from '../errors.js';

/** RFC 9457 problem details, with orgvault's stable code and the request id. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ContractCode;
  request_id: string;
  /** The library's more specific code, where the contract's list has no exact match (see ERRORS in src/errors.ts). */
  reason?: ErrorCode;
}

/**
 * DESIGN.md fixes the codes an HTTP client can see; the error table (src/errors.ts) says how every
 * other code is answered: with the nearest contract code (and its status), the specific one kept in
 * `reason`; exactly as another code; or, for internals, as a plain INTERNAL.
 */
export function problem(given: ErrorCode, detail: string, requestId: string): Problem {
  const form = httpFormOf(given);
  if (form === 'hidden') return problem('INTERNAL', 'internal error', requestId);
  if (form !== undefined && !form.reason) return problem(form.code, detail, requestId);
  const p: Problem = {
    type: `urn:orgvault:problem:${given.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_TITLES[given],
    status: form?.status ?? ERROR_STATUS[given],
    detail,
    // No HTTP form: the code is a contract code itself.
    code: form?.code ?? (given as ContractCode),
    request_id: requestId,
  };
  if (form) p.reason = given;
  return p;
}

/** Maps Fastify's own client errors (parsing, validation, limits) onto our codes. */
function fromFastifyError(err: FastifyError): { code: ErrorCode; detail: string } | null {
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    return { code: 'VALIDATION_FAILED', detail: `${where}${err.message.replace(/^\w+/, '')}` };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', detail: 'request body is larger than the limit' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'VALIDATION_FAILED', detail: 'unsupported content type: send application/json' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'VALIDATION_FAILED', detail: 'request body is not valid JSON' };
  }
  const status = err.statusCode ?? 500;
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', detail: 'request body is larger than the limit' };
  if (status === 429) return { code: 'RATE_LIMITED', detail: 'too many requests' };
  if (status === 404) return { code: 'NOT_FOUND', detail: 'not found' };
  if (status >= 400 && status < 500) {
    // A message from the JSON parser may quote the body; keep only a generic line.
    return { code: 'VALIDATION_FAILED', detail: 'malformed request' };
  }
  return null;
}

/** Turns anything thrown into a problem; unknown errors are logged and become a plain 500. */
export function toProblem(err: unknown, request: FastifyRequest): Problem {
  if (isVaultError(err)) {
    if (httpFormOf(err.code) === 'hidden' || ERROR_STATUS[err.code] === 500) {
      request.log.error({ err: { code: err.code, message: err.message } }, 'internal error');
      return problem('INTERNAL', 'internal error', request.id);
    }
    // ORG_NOT_FOUND is a tenant-side 404: answered like any missing object (problem() maps it).
    return problem(err.code, err.message, request.id);
  }
  const mapped = fromFastifyError(err as FastifyError);
  if (mapped !== null) return problem(mapped.code, mapped.detail, request.id);
  request.log.error({ err }, 'unhandled error');
  return problem('INTERNAL', 'internal error', request.id);
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'ApiKey header="X-API-Key"');
  return reply.code(p.status).type('application/problem+json').send(p);
}
