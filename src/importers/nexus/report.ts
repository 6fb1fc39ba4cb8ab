import type { ApplyOutcome } from './apply-plan.js';
import type { ImportPlan, ModuleRef } from './plan.js';

/**
 * The `--json` report of `orgvault import-nexus`, exactly as DESIGN.md/issue 5 name it.
 * - the four counts: rows this run created (in a dry run: would create). Rows already in orgvault
 *   are not counted, so a second run reports zeros: nothing new. `organizations` also counts the
 *   `default` org when this run gave orgvault's placeholder NEXUS's name, plan and created time;
 * - restored_modules: modules this run rebuilt in an org whose NEXUS row was lost;
 * - unreadable_credentials, dev_key_credentials: what the NEXUS files hold, reported on every run
 *   because each needs a person's action (re-enter, rotate) however often the import runs.
 */
export interface NexusImportReport {
  organizations: number;
  modules: number;
  credentials: number;
  api_keys: number;
  restored_modules: ModuleRef[];
  unreadable_credentials: ModuleRef[];
  dev_key_credentials: ModuleRef[];
}

export function buildReport(plan: ImportPlan, outcome: ApplyOutcome): NexusImportReport {
  return {
    organizations: outcome.created.organizations,
    modules: outcome.created.modules,
    credentials: outcome.created.credentials,
    api_keys: outcome.created.apiKeys,
    restored_modules: [...outcome.restored].sort(
      (a, b) => a.org_id.localeCompare(b.org_id) || a.module_id.localeCompare(b.module_id),
    ),
    unreadable_credentials: plan.unreadable,
    dev_key_credentials: plan.devKey,
  };
}
