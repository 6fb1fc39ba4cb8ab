import { VaultError } from '../../errors.js';

/** The one 404 of module routes: the same for a module that is absent and one of another org. */
export const moduleNotFound = (moduleId: string): VaultError =>
  new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);

export interface ModuleParams {
  category: string;
  platform: string;
}
