import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { printJson } from './context.js';

interface Finding {
  ok: boolean;
  check: string;
  detail: string;
}

/**
 * `orgvault doctor`: prints the checks the server runs at start (PostgreSQL: schema version, runtime
 * role neither superuser nor BYPASSRLS nor table owner, RLS enabled and forced on every tenant
 * table). Exit 1 when one fails. Never prints a URL: it may carry a password.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the database setup (PostgreSQL: row-level security and roles) without starting')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const engine = config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
      let findings: Finding[];
      if (engine === 'sqlite') {
        findings = [
          {
            ok: true,
            check: 'row-level security',
            detail:
              'not applicable on SQLite (embedded, one process); isolation rests on the org filter of every query',
          },
        ];
      } else {
        const { diagnosePostgres } = await import('../storage/postgres/diagnose.js');
        findings = await diagnosePostgres(config.databaseUrl);
        findings.push({
          ok: true,
          check: 'owner URL for migrations',
          detail: config.databaseOwnerUrl
            ? 'ORGVAULT_DATABASE_OWNER_URL is set: migrations run at start'
            : 'ORGVAULT_DATABASE_OWNER_URL is not set: the schema must already be migrated',
        });
      }
      const ok = findings.every((f) => f.ok);
      if (opts.json) printJson({ ok, engine, checks: findings });
      else {
        process.stdout.write(`engine: ${engine}\n`);
        for (const f of findings)
          process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}\n`);
        process.stdout.write(
          ok ? 'all checks passed\n' : 'some checks FAILED: the server would refuse to start\n',
        );
      }
      if (!ok) process.exitCode = 1;
    });
}
