import { isoNow } from '../../clock.js';
import { SYSTEM_SCOPE } from '../../storage/storage.js';
import type { Vault } from '../../vault.js';
import { internalsOf } from '../../vault-internals.js';
import { type ApplyOutcome, applyPlan, type ImportProgress } from './apply-plan.js';
import { FernetError, parseFernetKey } from './fernet.js';
import { ImportError } from './import-error.js';
import type { NexusGeneration } from './legacy-db.js';
import { type ImportPlan, type ModuleRef, planImport } from './plan.js';
import { readApiKeys } from './read-api-keys.js';
import { readCredentials } from './read-credentials.js';
import { readRegistry } from './read-registry.js';
import { buildReport, type NexusImportReport } from './report.js';

export interface ImportNexusOptions {
  /** Path of NEXUS's module_registry.db. */
  registry: string;
  /** Path of NEXUS's module_credentials.db. */
  credentials: string;
  /** Path of NEXUS's api_keys.db (org-scoped NEXUS only). */
  apiKeys?: string | undefined;
  /** The deployment's MODULE_ENCRYPTION_KEY (a Fernet key). */
  nexusKey: string;
  /** Work everything out and report it; write nothing. */
  dryRun?: boolean | undefined;
  /** Told as the import works through the plan (the CLI's progress bar); the dry run tells it too. */
  onProgress?: ImportProgress | undefined;
}

export interface NexusImportResult {
  report: NexusImportReport;
  dryRun: boolean;
  generations: { registry: NexusGeneration; credentials: NexusGeneration };
  /** Rows left alone because orgvault already had them (a previous run, or made in orgvault). */
  alreadyPresent: ApplyOutcome['alreadyPresent'];
  /** Of report.unreadable_credentials, those orgvault already holds (entered again since). */
  unreadablePresent: ModuleRef[];
}

/**
 * Imports a NEXUS deployment's SQLite files into orgvault, in one transaction.
 * The legacy files are only ever opened read-only. Every row is validated and every token opened
 * before the transaction starts; a failure inside it rolls everything back.
 */
export async function importNexus(vault: Vault, options: ImportNexusOptions): Promise<NexusImportResult> {
  const { storage, audit, credentials, clock } = internalsOf(vault);
  let nexusKey: ReturnType<typeof parseFernetKey>;
  try {
    nexusKey = parseFernetKey(options.nexusKey);
  } catch (err) {
    if (err instanceof FernetError) throw new ImportError(`NEXUS key (--nexus-key): ${err.message}`);
    throw err;
  }
  const registry = readRegistry(options.registry);
  const creds = readCredentials(options.credentials);
  const apiKeys = options.apiKeys === undefined ? undefined : readApiKeys(options.apiKeys);
  const now = isoNow(clock);
  const plan: ImportPlan = planImport({ registry, credentials: creds, apiKeys }, nexusKey, now);
  const deps = { audit, credentials, now, onProgress: options.onProgress };
  const dryRun = options.dryRun === true;

  let outcome: ApplyOutcome;
  if (dryRun) {
    outcome = await storage.read(SYSTEM_SCOPE, (r) => applyPlan(r, plan, deps, false));
  } else {
    // Data keys created here are cached only if this transaction commits (Repositories.afterCommit).
    outcome = await storage.transaction(SYSTEM_SCOPE, (tx) => applyPlan(tx, plan, deps, true));
  }
  return {
    report: buildReport(plan, outcome),
    dryRun,
    generations: { registry: registry.generation, credentials: creds.generation },
    alreadyPresent: outcome.alreadyPresent,
    unreadablePresent: outcome.unreadablePresent,
  };
}
