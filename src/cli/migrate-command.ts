import type { Command } from 'commander';
import { printJson, withVault } from './context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply schema migrations (idempotent; opening the database runs them too)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withVault(async (vault) => {
        const engine = vault.engine;
        if (opts.json) printJson({ ok: true, engine });
        else process.stdout.write(`schema is up to date (${engine})\n`);
      });
    });
}
