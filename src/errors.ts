/**
 * The one error module: a fixed list of codes, one table from code to HTTP status.
 * Services throw VaultError for anything a caller did wrong or may want to handle;
 * everything else is a bug or broken infrastructure and becomes a plain INTERNAL.
 */
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ORG_NOT_FOUND: 404,
  CONFLICT: 409,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  CREDENTIAL_DESTINATION: 403,
  MODULE_DISABLED: 409,
  MODULE_UNHEALTHY: 503,
  MODULE_NOT_EXECUTABLE: 409,
  MODULE_CALL_FAILED: 502,
  DECRYPTION_FAILED: 500,
  MASTER_KEY_MISMATCH: 500,
  MASTER_KEY_MISSING: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Unauthenticated',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  ORG_NOT_FOUND: 'Organization not found',
  CONFLICT: 'Conflict',
  VALIDATION_FAILED: 'Validation failed',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  RATE_LIMITED: 'Too many requests',
  CREDENTIAL_DESTINATION: 'Credential destination change not allowed',
  MODULE_DISABLED: 'Module disabled',
  MODULE_UNHEALTHY: 'Module unhealthy',
  MODULE_NOT_EXECUTABLE: 'Module not executable',
  MODULE_CALL_FAILED: 'Module call failed',
  DECRYPTION_FAILED: 'Decryption failed',
  MASTER_KEY_MISMATCH: 'Master key mismatch',
  MASTER_KEY_MISSING: 'Master key missing',
  CONFIG_INVALID: 'Invalid configuration',
  INTERNAL: 'Internal error',
};

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
