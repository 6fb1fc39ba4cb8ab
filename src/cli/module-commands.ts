import type { Command } from 'commander';
import { toModuleJson } from '../modules/module-json.js';
import { CliError, printJson, printTable, withVault } from './context.js';
import { exitCodes } from './help.js';
import { readJsonInput } from './json-input.js';

export function registerModuleCommands(program: Command): void {
  const modules = program.command('modules').description("an organization's modules");

  modules
    .command('list')
    .description('list the modules of one organization')
    .requiredOption('--org <org_id>', 'organization id (use "default" for the single-tenant org)')
    .option('--status <status>', 'only modules with this status')
    .option('--category <category>', 'only modules of this category')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; status?: string; category?: string; json?: boolean }) => {
      await withVault(async (vault) => {
        const list = await vault.org(opts.org).modules.list({ status: opts.status, category: opts.category });
        if (opts.json) printJson({ modules: list.map(toModuleJson) });
        else
          printTable(
            ['MODULE_ID', 'VERSION', 'STATUS', 'HEALTH', 'USES', 'FAILURES'],
            list.map((m) => [
              m.moduleId,
              m.version,
              m.status,
              m.healthStatus,
              m.successCount,
              m.failureCount,
            ]),
          );
      });
    });

  exitCodes(
    modules
      .command('install')
      .description('install (or replace) a module from its manifest file; prints the module as JSON')
      .requiredOption('--org <org_id>', 'organization id')
      .requiredOption('--file <manifest.json>', 'the module manifest (JSON)'),
    '0 installed, 1 a missing or unreadable file, invalid JSON, an invalid manifest or an unknown org (one line on stderr), 2 bad usage.',
  ).action(async (opts: { org: string; file: string }) => {
    const manifest = await readJsonInput({ file: opts.file });
    await withVault(async (vault) => {
      printJson(toModuleJson(await vault.org(opts.org).modules.install(manifest)));
    });
  });

  for (const action of ['enable', 'disable', 'uninstall'] as const) {
    exitCodes(
      modules
        .command(`${action} <module_id>`)
        .description(
          action === 'uninstall' ? 'uninstall a module (its credentials go with it)' : `${action} a module`,
        )
        .requiredOption('--org <org_id>', 'organization id'),
      '0 done (already so: "changed": false), 1 the module is not installed in the org or another error (one line on stderr), 2 bad usage.',
    ).action(async (moduleId: string, opts: { org: string }) => {
      await withVault(async (vault) => {
        const org = vault.org(opts.org);
        // Tells a module that is absent from one already in the asked state (both change nothing).
        if ((await org.modules.get(moduleId)) === null) {
          throw new CliError(`module "${moduleId}" is not installed in org "${opts.org}"`);
        }
        const changed = await org.modules[action](moduleId);
        const after = await org.modules.get(moduleId);
        printJson({
          org_id: opts.org,
          module_id: moduleId,
          changed,
          status: after?.status ?? 'uninstalled',
        });
      });
    });
  }
}
