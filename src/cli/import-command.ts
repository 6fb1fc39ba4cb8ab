import type { Command } from 'commander';
import { importNexus, type NexusImportResult } from '../importers/nexus/import-nexus.js';
import type { ModuleRef } from '../importers/nexus/plan.js';
import { EXIT, printJson, withVault } from './context.js';
import { exitCodes } from './help.js';
import { progressFor } from './progress.js';

interface ImportOpts {
  registry: string;
  credentials: string;
  apiKeys?: string;
  nexusKey: string;
  dryRun?: boolean;
  json?: boolean;
}

const refs = (list: ModuleRef[]) => list.map((r) => `${r.org_id}:${r.module_id}`).join(', ');

/** For people: what was written, what was already there, and what needs their attention. */
function printSummary(result: NexusImportResult): void {
  const r = result.report;
  const p = result.alreadyPresent;
  const lines = [
    `${result.dryRun ? 'dry run (nothing written): would import' : 'imported'} ${r.organizations} organization(s), ${r.modules} module(s), ${r.credentials} credential(s), ${r.api_keys} API key(s)`,
    `NEXUS files: registry ${result.generations.registry}, credentials ${result.generations.credentials}`,
  ];
  const present = p.organizations + p.modules + p.credentials + p.apiKeys;
  if (present > 0) {
    lines.push(
      `already in orgvault, left as they are: ${p.organizations} organization(s), ${p.modules} module(s), ${p.credentials} credential(s), ${p.apiKeys} API key(s)`,
    );
  }
  if (r.organizations + r.modules + r.credentials + r.api_keys === 0) lines.push('nothing new to import');
  if (r.restored_modules.length > 0) {
    lines.push(`restored as disabled, review and enable: ${refs(r.restored_modules)}`);
  }
  if (r.dev_key_credentials.length > 0) {
    lines.push(
      `EXPOSED (encrypted under NEXUS's public dev key), rotate them: ${refs(r.dev_key_credentials)}`,
    );
  }
  // Unreadable in NEXUS but already in orgvault (entered again since): nothing left to do for those.
  const reentered = new Set(result.unreadablePresent.map((u) => `${u.org_id}\0${u.module_id}`));
  const missing = r.unreadable_credentials.filter((u) => !reentered.has(`${u.org_id}\0${u.module_id}`));
  if (missing.length > 0) {
    lines.push(`NOT imported (no key verifies), enter them again: ${refs(missing)}`);
  }
  if (result.unreadablePresent.length > 0) {
    lines.push(
      `unreadable in NEXUS, already in orgvault (left as they are): ${refs(result.unreadablePresent)}`,
    );
  }
  // A well-formed but wrong key opens nothing: say so rather than leave a long list of "unreadable".
  const readable = r.credentials + p.credentials;
  const unreadable = r.unreadable_credentials.length;
  if (unreadable > readable) {
    lines.push(
      `${unreadable} of ${unreadable + readable} credential(s) did not open: the --nexus-key is probably not ` +
        'the MODULE_ENCRYPTION_KEY NEXUS used (check it, then run the import again)',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerImportCommand(program: Command): void {
  const command = program
    .command('import-nexus')
    .description('import a NEXUS deployment (modules, credentials, API keys) in one transaction')
    .requiredOption('--registry <db>', "NEXUS's module_registry.db (opened read-only)")
    .requiredOption('--credentials <db>', "NEXUS's module_credentials.db (opened read-only)")
    .option('--api-keys <db>', "NEXUS's api_keys.db (org-scoped NEXUS; opened read-only)")
    .requiredOption('--nexus-key <fernet key>', "NEXUS's MODULE_ENCRYPTION_KEY")
    .option('--dry-run', 'report what would be imported; write nothing')
    .option('--json', 'print the report as JSON');
  exitCodes(
    command,
    '0 everything imported, 3 some credentials unreadable (all the rest imported), 1 error (nothing written; one line on stderr), 2 bad usage.',
  ).action(async (opts: ImportOpts) => {
    await withVault(async (vault) => {
      const progress = progressFor(opts.dryRun ? 'checking NEXUS import' : 'importing NEXUS', opts);
      const result = await importNexus(vault, {
        registry: opts.registry,
        credentials: opts.credentials,
        apiKeys: opts.apiKeys,
        nexusKey: opts.nexusKey,
        dryRun: opts.dryRun,
        onProgress: (done, total, item) => {
          if (done === 0) progress.start(total);
          else progress.tick(1, item);
        },
      }).finally(() => progress.stop());
      if (opts.json) printJson(result.report);
      else printSummary(result);
      if (result.report.unreadable_credentials.length > 0) process.exitCode = EXIT.partial;
    });
  });
}
