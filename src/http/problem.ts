import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode, isVaultError } from '../errors.js';

/** RFC 9457 problem details, with orgvault's stable code and the request id. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  /** The library's more specific code, where the contract's list has no exact match (see CONTRACT_CODE). */
  reason?: ErrorCode;
}

/**
 * DESIGN.md fixes the codes an HTTP client can see. Library codes outside that list are answered
 * with the nearest contract code (and its status), the specific one kept in `reason`; an upstream
 * module failure keeps 502 (the gateway failed, not orgvault) under the INTERNAL code.
 */
const CONTRACT_CODE: Partial<Record<ErrorCode, { code: ErrorCode; status: number }>> = {
  CREDENTIAL_DESTINATION: { code: 'FORBIDDEN', status: 403 },
  MODULE_DISABLED: { code: 'CONFLICT', status: 409 },
  MODULE_NOT_EXECUTABLE: { code: 'CONFLICT', status: 409 },
  MODULE_UNHEALTHY: { code: 'CONFLICT', status: 409 },
  MODULE_CALL_FAILED: { code: 'INTERNAL', status: 502 },
};

/** Codes whose message may describe internals: the client gets a plain INTERNAL instead. */
const HIDDEN = new Set<ErrorCode>([
  'INTERNAL',
  'DECRYPTION_FAILED',
  'MASTER_KEY_MISMATCH',
  'MASTER_KEY_MISSING',
  'CONFIG_INVALID',
]);

export function problem(given: ErrorCode, detail: string, requestId: string): Problem {
  // An unknown org is answered exactly like any missing object; internals never reach a client.
  if (given !== 'INTERNAL' && HIDDEN.has(given)) return problem('INTERNAL', 'internal error', requestId);
  const code = given === 'ORG_NOT_FOUND' ? 'NOT_FOUND' : given;
  const contract = CONTRACT_CODE[code];
  const p: Problem = {
    type: `urn:orgvault:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_TITLES[code],
    status: contract?.status ?? ERROR_STATUS[code],
    detail,
    code: contract?.code ?? code,
    request_id: requestId,
  };
  if (contract) p.reason = code;
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
    if (HIDDEN.has(err.code) || ERROR_STATUS[err.code] === 500) {
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
