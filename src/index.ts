/** orgvault's public library API. */
export { openVault, Vault, OrgVault, SystemVault, type OpenVaultOptions } from './vault.js';
export { createInitialState, type AgentState, type ToolResult, type InitialStateOptions } from './agent/state.js';
export { VaultError, type ErrorCode, ERROR_STATUS } from './errors.js';
export { loadConfig, type Config } from './config.js';
export type { ModuleRecord } from './modules/module-record.js';
export type { CredentialMetadata } from './credentials/credential-service.js';
export type { CredentialValues } from './credentials/credential-values.js';
export type { OrgRow, Role, ModuleStatus, HealthStatus, Storage, Repositories } from './storage/types.js';
export { DEFAULT_ORG } from './ids.js';
