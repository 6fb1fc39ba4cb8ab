import type { Clock } from '../clock.js';
import type { CredentialService } from '../credentials/credential-service.js';
import type { CredentialValues } from '../credentials/credential-values.js';
import { isVaultError, VaultError } from '../errors.js';
import { type HttpSpec, HttpSpecSchema } from '../modules/manifest.js';
import { oauthSpecOf } from '../oauth/oauth-spec.js';
import type { TokenBroker } from '../oauth/token-broker.js';
import type { ModuleRow } from '../storage/rows.js';
import { orgScope, type Storage } from '../storage/storage.js';
import type { BuiltinCatalogue, BuiltinModule } from './builtin-modules.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { HttpModuleExecutor } from './http/http-module.js';
import { OutboundError } from './http/outbound-error.js';
import { SecretScrubber } from './secret-scrubber.js';

export interface ModuleCall {
  moduleId: string;
  action: string;
  input: Record<string, unknown>;
}

/**
 * How a call moves the module's counters: `success` records usage and clears the failure streak,
 * `failure` counts one failure, `none` leaves them alone (the caller's mistake, or a refusal
 * before the module ran: a bad input must not trip the breaker for the whole org).
 */
export type HealthEffect = 'success' | 'failure' | 'none';

/** The scrubbed outcome of one call: nothing in it holds a credential value. */
export interface CallOutcome {
  ok: boolean;
  output: unknown;
  error: VaultError | null;
  health: HealthEffect;
  startedAt: Date;
  durationMs: number;
  /** Ends a breaker trial; call it once the outcome is recorded. */
  release: () => void;
}

/** Upstream answers that mean the module is broken for this org or overloaded, not that the input was wrong. */
const UNHEALTHY_STATUS = (status: number) => status >= 500 || [401, 403, 408, 429].includes(status);

export type Executable = { kind: 'builtin'; module: BuiltinModule } | { kind: 'http'; spec: HttpSpec };

export interface ModuleRuntimeDeps {
  storage: Storage;
  credentials: CredentialService;
  builtins: BuiltinCatalogue;
  http: HttpModuleExecutor;
  breaker: CircuitBreaker;
  /** Access tokens of OAuth2 modules (fresh, renewed once per (org, module) when several race). */
  tokens: TokenBroker;
  clock: Clock;
  /** Time limit of one call (built-in or HTTP). */
  timeoutMs: number;
}

/**
 * Runs one module call for one org: resolves the module in that org only, checks it may run,
 * decrypts the org's credentials for the module's code alone, runs it under a deadline, and
 * scrubs every credential value from what comes back, result or error.
 */
export class ModuleRuntime {
  private readonly d: ModuleRuntimeDeps;

  constructor(deps: ModuleRuntimeDeps) {
    this.d = deps;
  }

  async call(orgId: string, call: ModuleCall): Promise<CallOutcome> {
    const startedAt = this.d.clock();
    const started = performance.now();
    let release = () => {};
    let scrubber = new SecretScrubber([]);
    const done = (partial: Pick<CallOutcome, 'ok' | 'output' | 'error' | 'health'>): CallOutcome => ({
      ...partial,
      output: scrubber.value(partial.output),
      error: partial.error && scrub(partial.error, scrubber),
      startedAt,
      durationMs: Math.round(performance.now() - started),
      release,
    });

    try {
      const row = await this.d.storage.read(orgScope(orgId), (r) =>
        r.modules.findModule(orgId, call.moduleId),
      );
      const executable = this.resolve(row, call);
      const admission = this.d.breaker.admit(row as ModuleRow);
      if (admission.kind === 'open') {
        throw new VaultError(
          'MODULE_UNHEALTHY',
          `module "${call.moduleId}" failed ${this.d.breaker.threshold} times in a row; calls are refused for ${Math.ceil(admission.retryAfterMs / 1000)} s more`,
          { retry_after_seconds: Math.ceil(admission.retryAfterMs / 1000) },
        );
      }
      if (admission.kind === 'trial') release = admission.release;

      // Opened for this very row's manifest, the one the call is sent by: credentials sealed for
      // another destination fail to decrypt here, before anything leaves.
      let credentials = await this.d.credentials.retrieveFor(row as ModuleRow);
      const pairs: Array<[string, string]> =
        executable.kind === 'http' && executable.spec.auth?.in === 'basic'
          ? [[executable.spec.auth.username, executable.spec.auth.password]]
          : [];
      // Every credential set the call held, renewed OAuth2 tokens included, scrubbed the same way.
      const seen: Array<CredentialValues | null> = [credentials];
      scrubber = SecretScrubber.forCredentialSets(seen, pairs);
      const oauth = executable.kind === 'http' ? oauthSpecOf((row as ModuleRow).manifest) : null;
      if (oauth !== null) {
        credentials = await this.d.tokens.prepare(row as ModuleRow, oauth, credentials);
        seen.push(credentials);
        scrubber = SecretScrubber.forCredentialSets(seen, pairs);
      }
      let output = await this.execute(orgId, call, executable, credentials);
      const rejected = credentials?.access_token;
      if (oauth !== null && (output as { status: number }).status === 401 && typeof rejected === 'string') {
        // Once: the upstream may have revoked the token before its expiry. A second 401 stands.
        credentials = await this.d.tokens.renewAfterRejection(row as ModuleRow, rejected);
        seen.push(credentials);
        scrubber = SecretScrubber.forCredentialSets(seen, pairs);
        output = await this.execute(orgId, call, executable, credentials);
      }
      if (executable.kind === 'http') {
        const status = (output as { status: number }).status;
        if (status >= 400) {
          return done({
            ok: false,
            output,
            error: new VaultError('MODULE_CALL_FAILED', `module "${call.moduleId}" answered HTTP ${status}`, {
              reason: 'upstream_status',
              upstream_status: status,
            }),
            health: UNHEALTHY_STATUS(status) ? 'failure' : 'none',
          });
        }
      }
      return done({ ok: true, output, error: null, health: 'success' });
    } catch (err) {
      return done({ ok: false, output: null, ...classify(err, call.moduleId) });
    }
  }

  private resolve(row: ModuleRow | null, call: ModuleCall): Executable {
    if (row === null || row.status === 'uninstalled') {
      throw new VaultError('NOT_FOUND', `module "${call.moduleId}" is not installed`);
    }
    if (row.status === 'disabled') {
      throw new VaultError(
        'MODULE_DISABLED',
        `module "${call.moduleId}" is disabled; enable it to invoke it`,
      );
    }
    if (row.status !== 'installed') {
      throw new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${call.moduleId}" is ${row.status}, not installed`,
      );
    }
    const executable = this.executableOf(row);
    if (executable === null) {
      throw new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${call.moduleId}" is neither a built-in module nor a declarative HTTP module (no valid "http" section)`,
      );
    }
    const actions = executable.kind === 'builtin' ? executable.module.actions : executable.spec.actions;
    if (!Object.hasOwn(actions, call.action)) {
      throw new VaultError('VALIDATION_FAILED', `module "${call.moduleId}" has no action "${call.action}"`, {
        field: 'action',
      });
    }
    return executable;
  }

  /**
   * What an installed row runs and its actions: its built-in handler, else its valid `http`
   * section; null when it is neither. Status is the caller's business (see resolve).
   */
  executableOf(row: ModuleRow): Executable | null {
    const builtin = this.d.builtins.get(row.moduleId);
    if (builtin) return { kind: 'builtin', module: builtin };
    if (row.manifest.http === undefined) return null;
    // Manifests are validated at install, but imported rows were not: check again before use.
    const spec = HttpSpecSchema.safeParse(row.manifest.http);
    return spec.success ? { kind: 'http', spec: spec.data } : null;
  }

  private async execute(
    orgId: string,
    call: ModuleCall,
    executable: Executable,
    credentials: CredentialValues | null,
  ): Promise<unknown> {
    const signal = AbortSignal.timeout(this.d.timeoutMs);
    if (executable.kind === 'http') {
      return this.d.http.execute(
        call.moduleId,
        executable.spec,
        call.action,
        call.input,
        credentials,
        signal,
      );
    }
    const handler = executable.module.actions[call.action] as NonNullable<BuiltinModule['actions'][string]>;
    const run = Promise.resolve().then(() =>
      handler({
        orgId,
        moduleId: call.moduleId,
        action: call.action,
        input: call.input,
        credentials,
        signal,
      }),
    );
    // A handler that ignores its signal still loses the race against the deadline.
    return Promise.race([
      run,
      new Promise((_, reject) => {
        signal.addEventListener('abort', () =>
          reject(new OutboundError('timeout', 'the module did not answer within its time limit')),
        );
      }),
    ]);
  }
}

/** Maps what a call threw to an error code and its effect on health. */
function classify(err: unknown, moduleId: string): { error: VaultError; health: HealthEffect } {
  if (err instanceof OutboundError) {
    // A private destination is the manifest's fault, not the upstream's: a 409, never a 5xx. It
    // still counts as a failure, so a module pointed at the metadata service trips its breaker.
    const code = err.reason === 'destination_refused' ? 'MODULE_NOT_EXECUTABLE' : 'MODULE_CALL_FAILED';
    return {
      error: new VaultError(code, `module "${moduleId}": ${err.message}`, { reason: err.reason }),
      health: 'failure',
    };
  }
  // Node refuses to send a header it cannot encode (a stored credential with a line break, a
  // manifest written before header names were checked): the module's set-up, not the upstream, is
  // wrong, so a 409 that does not count against the module's health, never a 5xx.
  const nodeCode = (err as { code?: unknown } | null)?.code;
  if (nodeCode === 'ERR_INVALID_CHAR' || nodeCode === 'ERR_INVALID_HTTP_TOKEN') {
    return {
      error: new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${moduleId}": its request cannot be sent (a header name or a credential value is not valid in an HTTP header)`,
        { reason: 'invalid_header' },
      ),
      health: 'none',
    };
  }
  if (isVaultError(err)) {
    // Refusals before the call and input mistakes are not the module's failures.
    return { error: err, health: err.code === 'MODULE_CALL_FAILED' ? 'failure' : 'none' };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    error: new VaultError('MODULE_CALL_FAILED', `module "${moduleId}" failed: ${message}`, {
      reason: 'module_error',
    }),
    health: 'failure',
  };
}

function scrub(error: VaultError, scrubber: SecretScrubber): VaultError {
  if (scrubber.empty) return error;
  const details =
    error.details === undefined ? undefined : (scrubber.value(error.details) as Record<string, unknown>);
  return new VaultError(error.code, scrubber.text(error.message), details);
}
