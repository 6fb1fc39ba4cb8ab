/** orgvault's public library API. */

export type { AgentLogger } from './agent/agent-logger.js';
export {
  type BuiltinAction,
  BuiltinCatalogue,
  type BuiltinContext,
  type BuiltinModule,
  defaultBuiltins,
} from './agent/builtin-modules.js';
export type { ExecutableModule, InvokeResult } from './agent/conversation-service.js';
export { InvocationError } from './agent/invocation-error.js';
export type { InvokeRequest, OrgConversations } from './agent/org-conversations.js';
export {
  type AgentState,
  createInitialState,
  type InitialStateOptions,
  type ToolResult,
} from './agent/state.js';
export type { ApiKeyInfo, IssuedApiKey } from './auth/api-key-info.js';
export type { CreateKeyInput, RotateOptions } from './auth/api-key-service.js';
export type { VerifyFailure, VerifyResult } from './auth/key-verifier.js';
export { hasPermission, PERMISSIONS, type Permission, ROLE_PERMISSIONS } from './auth/permissions.js';
export type { Role } from './auth/roles.js';
export { type Config, loadConfig } from './config.js';
export type { CredentialMetadata } from './credentials/credential-service.js';
export type { CredentialValues } from './credentials/credential-values.js';
export { ERROR_STATUS, type ErrorCode, VaultError } from './errors.js';
export { DEFAULT_ORG } from './ids.js';
export {
  type ImportNexusOptions,
  importNexus,
  type NexusImportResult,
} from './importers/nexus/import-nexus.js';
export type { NexusImportReport } from './importers/nexus/report.js';
export type { OrgLangGraph } from './langgraph/org-langgraph.js';
export type { ModuleRecord } from './modules/module-record.js';
export type { HealthStatus, ModuleStatus } from './modules/module-statuses.js';
export type { OAuthStatus } from './oauth/oauth-service.js';
export type { OrgOAuth } from './oauth/org-oauth.js';
export type { OrgRow } from './storage/rows.js';
export type { Storage } from './storage/storage.js';
export type { Repositories } from './storage/stores.js';
export { type OpenVaultOptions, OrgVault, openVault, SystemVault, Vault } from './vault.js';
