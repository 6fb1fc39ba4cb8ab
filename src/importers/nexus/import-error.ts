import { VaultError } from '../../errors.js';

/**
 * Anything in the NEXUS files that stops the import (a corrupt manifest, an unknown role, a file
 * that is not a NEXUS database). Messages name the file, table and row, never a secret value.
 */
export class ImportError extends VaultError {
  constructor(message: string) {
    super('VALIDATION_FAILED', `NEXUS import: ${message}`);
    this.name = 'ImportError';
  }
}
