import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { InputSchema } from './input-schema.js';

/** Past this many distinct schemas the compiled validators start over (schemas come from manifests). */
const MAX_COMPILED = 500;

type Check = (input: unknown) => { valid: boolean; errorMessage?: string | undefined };

/**
 * Checks tool arguments against a tool's input schema, with the SDK's own Ajv provider (the one
 * its high-level server uses). Compiled validators are kept per schema text, since a schema is
 * compiled once and checked on every call; a schema Ajv cannot compile answers every call with
 * that reason rather than failing the request.
 */
export class ArgumentCheck {
  private readonly ajv = new AjvJsonSchemaValidator();
  private readonly compiled = new Map<string, Check>();

  /** Null when the arguments fit; otherwise one line saying why not. */
  problem(schema: InputSchema, args: unknown): string | null {
    const result = this.checkFor(schema)(args);
    return result.valid ? null : (result.errorMessage ?? 'the arguments do not match the input schema');
  }

  private checkFor(schema: InputSchema): Check {
    const key = JSON.stringify(schema);
    let check = this.compiled.get(key);
    if (check === undefined) {
      try {
        check = this.ajv.getValidator(schema) as Check;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        check = () => ({ valid: false, errorMessage: `the tool's input schema is invalid: ${reason}` });
      }
      if (this.compiled.size >= MAX_COMPILED) this.compiled.clear();
      this.compiled.set(key, check);
    }
    return check;
  }
}
