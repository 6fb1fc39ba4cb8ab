import type { Repositories } from '../stores.js';
import { SqlApiKeyStore } from './api-keys.js';
import { SqlAuditStore } from './audit.js';
import { SqlCheckpointStore } from './checkpoints.js';
import { SqlCredentialStore } from './credentials.js';
import type { Executor } from './executor.js';
import { SqlLangGraphStore } from './langgraph.js';
import { SqlModuleStore } from './modules.js';
import { SqlOAuthStore } from './oauth.js';
import { SqlMasterKeyStore, SqlOrgKeyStore } from './org-keys.js';
import { SqlOrgRowStore } from './org-rows.js';
import { SqlOrgStore } from './orgs.js';
import { SqlToolResultStore } from './tool-results.js';

/** Every store over one executor: what a transaction (or a read) of either engine can reach. */
export function repositoriesOf(x: Executor, afterCommit: (callback: () => void) => void): Repositories {
  return {
    afterCommit,
    orgs: new SqlOrgStore(x),
    modules: new SqlModuleStore(x),
    credentials: new SqlCredentialStore(x),
    orgKeys: new SqlOrgKeyStore(x),
    masterKeys: new SqlMasterKeyStore(x),
    apiKeys: new SqlApiKeyStore(x),
    audit: new SqlAuditStore(x),
    checkpoints: new SqlCheckpointStore(x),
    toolResults: new SqlToolResultStore(x),
    langgraph: new SqlLangGraphStore(x),
    oauth: new SqlOAuthStore(x),
    orgRows: new SqlOrgRowStore(x),
  };
}
