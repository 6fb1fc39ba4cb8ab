import { VaultError } from '../errors.js';
import { CREDENTIAL_FIELD_NAME } from '../modules/manifest.js';

export type CredentialValue = string | number | boolean;
export type CredentialValues = Record<string, CredentialValue>;

export const MAX_CREDENTIAL_BYTES = 16 * 1024;

/**
 * Checks the shape of a credentials object: a JSON object of strings, numbers or booleans, at most
 * 16 KiB. Error messages name fields, never values.
 */
export function parseCredentialValues(input: unknown): CredentialValues {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new VaultError('VALIDATION_FAILED', 'credentials must be a JSON object of field names to values', {
      field: 'credentials',
    });
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 0) {
    throw new VaultError('VALIDATION_FAILED', 'credentials must hold at least one field', {
      field: 'credentials',
    });
  }
  const out: CredentialValues = {};
  for (const [name, value] of entries) {
    if (!CREDENTIAL_FIELD_NAME.test(name)) {
      throw new VaultError(
        'VALIDATION_FAILED',
        'credential field names must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$',
        {
          field: 'credentials',
        },
      );
    }
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      throw new VaultError(
        'VALIDATION_FAILED',
        `credential field "${name}" must be a string, number or boolean`,
        {
          field: `credentials.${name}`,
        },
      );
    }
    // Defined, not assigned: a field named __proto__ stays an ordinary own field.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  if (Buffer.byteLength(JSON.stringify(out)) > MAX_CREDENTIAL_BYTES) {
    throw new VaultError('PAYLOAD_TOO_LARGE', `credentials are larger than ${MAX_CREDENTIAL_BYTES} bytes`, {
      field: 'credentials',
    });
  }
  return out;
}

interface FieldSpec {
  name: string;
  required?: boolean | undefined;
}

/**
 * When the manifest declares credential_fields: every required one present, no unknown one. Present
 * means an own field of the values: `constructor`, `toString` or `__proto__` are not present just
 * because every object inherits them.
 */
export function checkAgainstManifest(values: CredentialValues, manifest: Record<string, unknown>): void {
  const fields = manifest.credential_fields as FieldSpec[] | undefined;
  if (!Array.isArray(fields)) return;
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) {
      throw new VaultError('VALIDATION_FAILED', `credential field "${name}" is not declared by the module`, {
        field: `credentials.${name}`,
      });
    }
  }
  for (const f of fields) {
    if (f.required === true && !Object.hasOwn(values, f.name)) {
      throw new VaultError('VALIDATION_FAILED', `credential field "${f.name}" is required by the module`, {
        field: `credentials.${f.name}`,
      });
    }
  }
}
