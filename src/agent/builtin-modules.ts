import type { CredentialValues } from '../credentials/credential-values.js';
import { assertModuleId } from '../ids.js';

/** What a built-in handler receives: the decrypted credentials are for its code only. */
export interface BuiltinContext {
  orgId: string;
  moduleId: string;
  action: string;
  input: Record<string, unknown>;
  credentials: CredentialValues | null;
  /** Aborted when the call runs past its time limit. */
  signal: AbortSignal;
}

export type BuiltinAction = (ctx: BuiltinContext) => unknown;

/** A module whose code ships with orgvault (or with the embedding application), by action name. */
export interface BuiltinModule {
  actions: Record<string, BuiltinAction>;
}

/**
 * The catalogue of built-in handlers, by module id. A module still has to be installed and enabled
 * in an org before its handler runs there: the catalogue only says what code a module id runs.
 */
export class BuiltinCatalogue {
  private readonly modules = new Map<string, BuiltinModule>();

  register(moduleId: string, module: BuiltinModule): this {
    assertModuleId(moduleId);
    this.modules.set(moduleId, module);
    return this;
  }

  get(moduleId: string): BuiltinModule | undefined {
    return this.modules.get(moduleId);
  }
}

/** `demo/echo`: shows what a call receives, credential field names included, never their values. */
export const ECHO_MODULE: BuiltinModule = {
  actions: {
    echo: ({ input, credentials }) => ({ input, credential_fields: Object.keys(credentials ?? {}).sort() }),
  },
};

export function defaultBuiltins(): BuiltinCatalogue {
  return new BuiltinCatalogue().register('demo/echo', ECHO_MODULE);
}
