import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/errors.js';
import { problem } from '../../src/http/problem.js';

/** DESIGN.md's list: the only codes (and their statuses) an HTTP client may see. */
const CONTRACT: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const HIDDEN: ErrorCode[] = [
  'DECRYPTION_FAILED',
  'MASTER_KEY_MISMATCH',
  'MASTER_KEY_MISSING',
  'CONFIG_INVALID',
];

describe('problem codes over HTTP', () => {
  it.each(Object.keys(ERROR_STATUS) as ErrorCode[])('%s is answered with a contract code', (code) => {
    const p = problem(code, 'detail', 'req-1');
    expect(Object.keys(CONTRACT)).toContain(p.code);
    if (code === 'MODULE_CALL_FAILED') {
      // The upstream failed, not orgvault: a gateway error, with the specific code kept.
      expect([p.status, p.code, p.reason]).toEqual([502, 'INTERNAL', 'MODULE_CALL_FAILED']);
    } else {
      expect(p.status).toBe(CONTRACT[p.code]);
    }
    if (HIDDEN.includes(code)) {
      // Internals (a key problem, a tampered row) are a plain 500: no reason, no detail.
      expect([p.code, p.reason, p.detail]).toEqual(['INTERNAL', undefined, 'internal error']);
    } else if (p.code !== code && code !== 'ORG_NOT_FOUND') {
      expect(p.reason).toBe(code);
    }
  });

  it('answers an unknown org exactly like a missing object', () => {
    const { request_id: _a, ...org } = problem('ORG_NOT_FOUND', 'x', 'a');
    const { request_id: _b, ...missing } = problem('NOT_FOUND', 'x', 'b');
    expect(org).toEqual(missing);
  });
});
