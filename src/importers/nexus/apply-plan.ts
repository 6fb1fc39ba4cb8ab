import { type ActorContext, type AuditLog, LIBRARY_ACTOR } from '../../audit/audit-log.js';
import { sameDestination } from '../../credentials/credential-destination.js';
import type { CredentialService } from '../../credentials/credential-service.js';
import { DEFAULT_ORG } from '../../ids.js';
import { DEFAULT_ORG_NAME } from '../../orgs/org-directory.js';
import type { OrgRow } from '../../storage/rows.js';
import type { Repositories } from '../../storage/stores.js';
import { ImportError } from './import-error.js';
import type { ImportPlan, ModuleRef, PlannedOrg } from './plan.js';

/** What one run wrote (or, in a dry run, would write); things already in orgvault are counted apart. */
export interface ApplyOutcome {
  created: { organizations: number; modules: number; credentials: number; apiKeys: number };
  alreadyPresent: { organizations: number; modules: number; credentials: number; apiKeys: number };
  restored: ModuleRef[];
  /** Credentials NEXUS holds unreadable that orgvault already has (entered again since): nothing to do. */
  unreadablePresent: ModuleRef[];
}

export interface ApplyDeps {
  audit: AuditLog;
  credentials: CredentialService;
  now: string;
  actor?: ActorContext;
  /** Told before the first item (done 0), then as each org, module, credential and API key is reached. */
  onProgress?: ImportProgress | undefined;
}

/** `(done, total, item)`: item names what is being applied (`module acme:weather/x`), never a value. */
export type ImportProgress = (done: number, total: number, item: string) => void;

/** orgvault creates `default` itself on first open; that placeholder may take NEXUS's description. */
const isPlaceholderDefault = (row: OrgRow) =>
  row.orgId === DEFAULT_ORG && row.name === DEFAULT_ORG_NAME && row.plan === null;

const sameOrg = (a: OrgRow, b: OrgRow) =>
  a.name === b.name && a.plan === b.plan && a.createdAt === b.createdAt;

/**
 * Applies a plan against the target. Whatever already exists in orgvault is left as it is (so a
 * second run writes nothing, and a value changed in orgvault since the first run is never
 * overwritten). With `write` false nothing is written: the dry run takes the same decisions.
 * Meant to run inside one transaction: any throw rolls every write back.
 */
export async function applyPlan(
  tx: Repositories,
  plan: ImportPlan,
  deps: ApplyDeps,
  write: boolean,
): Promise<ApplyOutcome> {
  const actor = deps.actor ?? LIBRARY_ACTOR;
  const out: ApplyOutcome = {
    created: { organizations: 0, modules: 0, credentials: 0, apiKeys: 0 },
    alreadyPresent: { organizations: 0, modules: 0, credentials: 0, apiKeys: 0 },
    restored: [],
    unreadablePresent: [],
  };
  const total = plan.orgs.length + plan.modules.length + plan.credentials.length + plan.apiKeys.length;
  let done = 0;
  const reached = (item: string) => deps.onProgress?.(++done, total, item);
  deps.onProgress?.(0, total, '');
  const audit = async (orgId: string, action: string, targetType: string, targetId: string, details = {}) => {
    if (write) {
      await deps.audit.append(
        tx,
        orgId,
        actor,
        { action, targetType, targetId, details: { source: 'nexus', ...details } },
        deps.now,
      );
    }
  };

  for (const org of plan.orgs) {
    reached(`org ${org.row.orgId}`);
    if (await importOrg(tx, org, write)) {
      out.created.organizations++;
      await audit(org.row.orgId, 'org.import', 'org', org.row.orgId, {
        name: org.row.name,
        plan: org.row.plan,
      });
    } else out.alreadyPresent.organizations++;
  }

  // Modules orgvault already had, by org and id: NEXUS credentials are imported for them only when
  // orgvault's manifest sends them where NEXUS did (see the credentials loop).
  const existing = new Map<string, Record<string, unknown>>();
  for (const m of plan.modules) {
    reached(`module ${m.orgId}:${m.row.moduleId}`);
    const present = await tx.modules.findModule(m.orgId, m.row.moduleId);
    if (present !== null) {
      out.alreadyPresent.modules++;
      if (!sameDestination(present.manifest, m.row.manifest)) {
        existing.set(`${m.orgId}\0${m.row.moduleId}`, present.manifest);
      }
      continue;
    }
    if (write) await tx.modules.importModule(m.orgId, m.row);
    out.created.modules++;
    if (m.restored) out.restored.push({ org_id: m.orgId, module_id: m.row.moduleId });
    await audit(m.orgId, 'module.import', 'module', m.row.moduleId, {
      version: m.row.version,
      status: m.row.status,
      restored: m.restored,
    });
  }

  for (const ref of plan.unreadable) {
    if ((await tx.credentials.findCredential(ref.org_id, ref.module_id)) !== null)
      out.unreadablePresent.push(ref);
  }
  for (const c of plan.credentials) {
    reached(`credentials ${c.orgId}:${c.moduleId}`);
    if ((await tx.credentials.findCredential(c.orgId, c.moduleId)) !== null) {
      out.alreadyPresent.credentials++;
      continue;
    }
    // A module installed in orgvault before the import (by anyone with manage_modules) may point
    // elsewhere than NEXUS did: sealing the NEXUS secret for it would hand the secret to whoever
    // chose that destination. Refuse the whole import; nothing is written.
    if (existing.has(`${c.orgId}\0${c.moduleId}`)) {
      throw new ImportError(
        `credentials, module "${c.moduleId}" (org "${c.orgId}"): orgvault already has this module with another destination (base_url origin or http.auth) than NEXUS; its NEXUS credentials would be sent elsewhere. Align or uninstall the module in orgvault, then import again`,
      );
    }
    if (write) {
      // Sealed for the destination of the module as just imported (the plan imports modules first).
      const module = await tx.modules.findModule(c.orgId, c.moduleId);
      if (module === null) throw new Error(`credentials of ${c.moduleId} planned without their module`);
      await deps.credentials.sealAndWrite(tx, c.orgId, c.moduleId, c.values, module.manifest, {
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
      });
    }
    out.created.credentials++;
    // Field names only: the audit trail never holds a value.
    await audit(c.orgId, 'credentials.import', 'module', c.moduleId, {
      fields: Object.keys(c.values).sort(),
      exposed_dev_key: c.devKey,
    });
  }

  for (const k of plan.apiKeys) {
    reached(`API key ${k.keyId}`);
    const sameId = await tx.apiKeys.findApiKeyForAuth(k.keyId);
    if (sameId !== null) {
      if (sameId.orgId !== k.orgId || sameId.hash !== k.hash) {
        throw new ImportError(
          `api_keys, key "${k.keyId}": orgvault already has a different key with this id`,
        );
      }
      out.alreadyPresent.apiKeys++;
      continue;
    }
    const sameHash = await tx.apiKeys.findLegacyApiKeyByHash(k.hash);
    if (sameHash !== null) {
      throw new ImportError(
        `api_keys, key "${k.keyId}": its hash is already held by key "${sameHash.keyId}"`,
      );
    }
    if (write) await tx.apiKeys.insertApiKey(k.orgId, k);
    out.created.apiKeys++;
    await audit(k.orgId, 'api_key.import', 'api_key', k.keyId, { role: k.role, status: k.status });
  }
  return out;
}

/** True when the org was created, or `default`'s placeholder took NEXUS's name, plan and time. */
async function importOrg(tx: Repositories, org: PlannedOrg, write: boolean): Promise<boolean> {
  const existing = await tx.orgs.findOrg(org.row.orgId);
  if (existing === null) {
    if (write && !(await tx.orgs.insertOrg(org.row))) {
      throw new ImportError(`organization "${org.row.orgId}" appeared during the import`);
    }
    return true;
  }
  if (org.described && isPlaceholderDefault(existing) && !sameOrg(existing, org.row)) {
    if (write) await tx.orgs.updateOrgDetails(org.row);
    return true;
  }
  return false;
}
