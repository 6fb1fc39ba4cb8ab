import type { Command } from 'commander';
import { toModuleJson } from '../modules/module-json.js';
import { printJson, printTable, withVault } from './context.js';

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
}
