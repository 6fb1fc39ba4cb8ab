import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { CredentialService } from '../credentials/credential-service.js';
import type { TokenBroker } from '../oauth/token-broker.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { Storage } from '../storage/storage.js';
import { type AgentLogger, SILENT_LOGGER } from './agent-logger.js';
import { type BuiltinCatalogue, defaultBuiltins } from './builtin-modules.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ConversationService } from './conversation-service.js';
import { HttpModuleExecutor } from './http/http-module.js';
import { ModuleRuntime } from './module-runtime.js';

export interface AgentDeps {
  config: Config;
  storage: Storage;
  orgs: OrgDirectory;
  audit: AuditLog;
  credentials: CredentialService;
  clock: Clock;
  /** Built-in handlers; `demo/echo` by default. */
  builtins?: BuiltinCatalogue | undefined;
  logger?: AgentLogger | undefined;
  tokens: TokenBroker;
}

/** Builds the agent runtime (module runtime, breaker, HTTP executor) and its conversation service from one Config. */
export function createConversationService(deps: AgentDeps): ConversationService {
  const { config, clock } = deps;
  const breaker = new CircuitBreaker({
    threshold: config.breakerFailureThreshold,
    cooldownMs: config.breakerCooldownMs,
    clock,
  });
  const runtime = new ModuleRuntime({
    storage: deps.storage,
    credentials: deps.credentials,
    builtins: deps.builtins ?? defaultBuiltins(),
    http: new HttpModuleExecutor({
      allowPrivate: config.httpAllowPrivate,
      maxResponseBytes: config.httpMaxResponseBytes,
    }),
    breaker,
    tokens: deps.tokens,
    clock,
    timeoutMs: config.httpTimeoutMs,
  });
  return new ConversationService({
    storage: deps.storage,
    orgs: deps.orgs,
    audit: deps.audit,
    runtime,
    clock,
    logger: deps.logger ?? SILENT_LOGGER,
    failureThreshold: config.breakerFailureThreshold,
    toolResultsWindow: config.stateToolResultsWindow,
  });
}
