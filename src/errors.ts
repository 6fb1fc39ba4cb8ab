/** The codes DESIGN.md lets an HTTP client see (problem+json `code`). */
export type ContractCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'VALIDATION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

/** How a code is answered over HTTP, when not as itself (it is then a contract code). */
export type HttpForm =
  /** The nearest contract code and its status; the specific code is kept in the problem's `reason`. */
  | { code: ContractCode; status: number; reason: true }
  /** Exactly as another code: same status, title and type, no reason. */
  | { code: ContractCode; reason: false }
  /** Internals (keys, tampered rows, configuration): a plain INTERNAL, logged, no detail. */
  | 'hidden';

export interface ErrorSpec {
  /** The code's status (VaultError.status). */
  status: number;
  title: string;
  /** Absent: a contract code, answered as itself. */
  http?: HttpForm;
}

/**
 * The one error table: every code, its status, title and HTTP form. Services throw VaultError for
 * anything a caller did wrong or may want to handle; everything else is a bug or broken
 * infrastructure and becomes a plain INTERNAL. ERROR_STATUS, ERROR_TITLES, the HTTP problem mapping
 * and the problem schema's `code` enum are all read off this table.
 */
export const ERRORS = {
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  // An unknown org is answered exactly like any missing object.
  ORG_NOT_FOUND: { status: 404, title: 'Organization not found', http: { code: 'NOT_FOUND', reason: false } },
  CONFLICT: { status: 409, title: 'Conflict' },
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  CREDENTIAL_DESTINATION: {
    status: 403,
    title: 'Credential destination change not allowed',
    http: { code: 'FORBIDDEN', status: 403, reason: true },
  },
  MODULE_DISABLED: {
    status: 409,
    title: 'Module disabled',
    http: { code: 'CONFLICT', status: 409, reason: true },
  },
  MODULE_UNHEALTHY: {
    status: 503,
    title: 'Module unhealthy',
    http: { code: 'CONFLICT', status: 409, reason: true },
  },
  MODULE_NOT_EXECUTABLE: {
    status: 409,
    title: 'Module not executable',
    http: { code: 'CONFLICT', status: 409, reason: true },
  },
  // An OAuth2 module whose grant is gone (refresh refused with invalid_grant) or never connected:
  // an owner must connect it (again) before it can be invoked.
  OAUTH_REAUTH_REQUIRED: {
    status: 409,
    title: 'OAuth2 connection needs re-authorization',
    http: { code: 'CONFLICT', status: 409, reason: true },
  },
  // A callback whose state is unknown, used or expired, or whose provider answered with an error.
  OAUTH_AUTHORIZATION_FAILED: {
    status: 400,
    title: 'OAuth2 authorization failed',
    http: { code: 'VALIDATION_FAILED', status: 400, reason: true },
  },
  // The upstream failed, not orgvault: a gateway status under the INTERNAL code.
  MODULE_CALL_FAILED: {
    status: 502,
    title: 'Module call failed',
    http: { code: 'INTERNAL', status: 502, reason: true },
  },
  DECRYPTION_FAILED: { status: 500, title: 'Decryption failed', http: 'hidden' },
  MASTER_KEY_MISMATCH: { status: 500, title: 'Master key mismatch', http: 'hidden' },
  MASTER_KEY_MISSING: { status: 500, title: 'Master key missing', http: 'hidden' },
  CONFIG_INVALID: { status: 500, title: 'Invalid configuration', http: 'hidden' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

const CODES = Object.keys(ERRORS) as ErrorCode[];
const spec = (code: ErrorCode): ErrorSpec => ERRORS[code];

/** Code -> HTTP status. */
export const ERROR_STATUS = Object.fromEntries(CODES.map((c) => [c, spec(c).status])) as {
  readonly [C in ErrorCode]: (typeof ERRORS)[C]['status'];
};

export const ERROR_TITLES = Object.fromEntries(CODES.map((c) => [c, spec(c).title])) as Record<
  ErrorCode,
  string
>;

/** The contract codes, in table order (the problem schema's `code` enum). */
export const CONTRACT_CODES = CODES.filter((c) => spec(c).http === undefined) as ContractCode[];

/** How `code` is answered over HTTP (undefined: as itself). */
export function httpFormOf(code: ErrorCode): HttpForm | undefined {
  return spec(code).http;
}

export class VaultError extends Error {
  readonly code: ErrorCode;
  /** Extra, non-secret facts for the caller (e.g. which field failed validation). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'VaultError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isVaultError(err: unknown): err is VaultError {
  return err instanceof VaultError;
}
