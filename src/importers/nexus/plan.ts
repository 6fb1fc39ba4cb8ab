import type { CredentialValues } from '../../credentials/credential-values.js';
import { DEFAULT_ORG, isModuleId } from '../../ids.js';
import type { ApiKeyRow, OrgRow } from '../../storage/rows.js';
import type { FernetKey } from './fernet.js';
import { ImportError } from './import-error.js';
import type { NexusGeneration } from './legacy-db.js';
import { nexusTimeToIso } from './nexus-time.js';
import { openCredential } from './open-credential.js';
import { checkOrgId, planApiKey, planOrg } from './plan-keys.js';
import { type PlannedModule, planModule, restoreModule } from './plan-modules.js';
import type { LegacyApiKey, LegacyOrg } from './read-api-keys.js';
import type { LegacyCredential } from './read-credentials.js';
import type { LegacyModule } from './read-registry.js';

/** (org, module) as the report names it. */
export interface ModuleRef {
  org_id: string;
  module_id: string;
}

export interface PlannedOrg {
  row: OrgRow;
  /** From NEXUS's organizations table (false: only referenced by a module, credential or key). */
  described: boolean;
}

/** Decrypted values live only in memory, between the Fernet reader and orgvault's envelope. */
export interface PlannedCredential {
  orgId: string;
  moduleId: string;
  values: CredentialValues;
  createdAt: string;
  updatedAt: string;
  devKey: boolean;
}

export interface NexusSources {
  registry: { generation: NexusGeneration; modules: LegacyModule[] };
  credentials: { generation: NexusGeneration; credentials: LegacyCredential[] };
  apiKeys?: { apiKeys: LegacyApiKey[]; organizations: LegacyOrg[] } | undefined;
}

/** Everything the import would write, computed from the NEXUS files alone (the target is not read). */
export interface ImportPlan {
  orgs: PlannedOrg[];
  modules: PlannedModule[];
  credentials: PlannedCredential[];
  apiKeys: ApiKeyRow[];
  unreadable: ModuleRef[];
  devKey: ModuleRef[];
}

const refKey = (orgId: string, moduleId: string) => `${orgId}\0${moduleId}`;
const byRef = (a: ModuleRef, b: ModuleRef) =>
  a.org_id.localeCompare(b.org_id) || a.module_id.localeCompare(b.module_id);

/**
 * Builds the plan: validates every NEXUS row (any invalid row stops the import before anything is
 * written), opens every credential token, and works out the repairs.
 */
export function planImport(sources: NexusSources, nexusKey: FernetKey, now: string): ImportPlan {
  const orgs = new Map<string, PlannedOrg>();
  for (const o of sources.apiKeys?.organizations ?? []) {
    const row = planOrg(o);
    orgs.set(row.orgId, { row, described: true });
  }
  // Orgs NEXUS referenced without describing them (every v1 row is `default`) get a plain entry.
  const referenced = (orgId: string, where: string) => {
    checkOrgId(orgId, where);
    if (!orgs.has(orgId)) {
      orgs.set(orgId, { row: { orgId, name: orgId, plan: null, createdAt: now }, described: false });
    }
  };

  const modules = new Map<string, PlannedModule>();
  const manifestsById = new Map<string, PlannedModule>();
  for (const m of sources.registry.modules) {
    referenced(m.orgId, `module registry, module "${m.moduleId}"`);
    const planned = planModule(m);
    modules.set(refKey(m.orgId, m.moduleId), planned);
    if (!manifestsById.has(m.moduleId)) manifestsById.set(m.moduleId, planned);
  }

  const credentials: PlannedCredential[] = [];
  const unreadable: ModuleRef[] = [];
  const devKey: ModuleRef[] = [];
  for (const c of sources.credentials.credentials) {
    const where = `credentials, module "${c.moduleId}" (org "${c.orgId}")`;
    checkOrgId(c.orgId, where);
    if (!isModuleId(c.moduleId)) throw new ImportError(`${where}: module id is not category/platform`);
    const ref = { org_id: c.orgId, module_id: c.moduleId };
    const opened = openCredential(c.token, nexusKey);
    if (!opened.ok) {
      unreadable.push(ref);
      continue;
    }
    referenced(c.orgId, where);
    if (opened.devKey) devKey.push(ref);
    credentials.push({
      orgId: c.orgId,
      moduleId: c.moduleId,
      values: opened.values,
      createdAt: nexusTimeToIso(c.createdAt, `${where}, created_at`),
      updatedAt: nexusTimeToIso(c.updatedAt, `${where}, updated_at`),
      devKey: opened.devKey,
    });
    const key = refKey(c.orgId, c.moduleId);
    if (!modules.has(key)) {
      modules.set(key, restoreModule(c.orgId, c.moduleId, manifestsById.get(c.moduleId), now));
    }
  }

  const apiKeys = (sources.apiKeys?.apiKeys ?? []).map((k) => {
    const row = planApiKey(k);
    referenced(row.orgId, `api_keys, key "${row.keyId}"`);
    return row;
  });

  if (!orgs.has(DEFAULT_ORG)) referenced(DEFAULT_ORG, 'default org');
  return {
    orgs: [...orgs.values()],
    modules: [...modules.values()],
    credentials,
    apiKeys,
    unreadable: unreadable.sort(byRef),
    devKey: devKey.sort(byRef),
  };
}
