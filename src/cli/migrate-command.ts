import type { Command } from 'commander';
import { internalsOf } from '../vault-internals.js';
import { printJson, withVault } from './context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply schema migrations (idempotent; opening the database runs them too)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withVault(async (vault) => {
        const engine = vault.engine;
        // Opening the database ran the migrations: say which ones that was.
        const applied = [...(internalsOf(vault).storage.migrationsApplied ?? [])];
        if (opts.json) printJson({ ok: true, engine, applied });
        else if (applied.length === 0)
          process.stdout.write(`schema is up to date (${engine}); nothing to apply\n`);
        else
          process.stdout.write(
            `applied migration(s) ${applied.join(', ')} (${engine}); schema is up to date\n`,
          );
      });
    });
}
