import type { Command } from 'commander';
import { EXIT, printJson, withVault } from './context.js';

/** `orgvault audit verify --org`: recomputes the org's hash chain; exit 1 when it is broken. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('audit trail');

  audit
    .command('verify')
    .description("check an organization's audit hash chain (detects edited, deleted or reordered events)")
    .requiredOption('--org <org_id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      await withVault(async (vault) => {
        vault.org(opts.org); // validates the id
        await vault.services.orgs.require(opts.org);
        const result = await vault.system.verifyAuditChain(opts.org);
        if (opts.json) {
          printJson({
            org_id: opts.org,
            ok: result.ok,
            events: result.events,
            broken_at: result.brokenAt ?? null,
            reason: result.reason ?? null,
          });
        } else if (result.ok) {
          process.stdout.write(`audit chain of ${opts.org} is intact (${result.events} events)\n`);
        }
        if (!result.ok) {
          process.stderr.write(
            `orgvault: audit chain of ${opts.org} is broken at event ${result.brokenAt}: ${result.reason}\n`,
          );
          process.exitCode = EXIT.userError;
        }
      });
    });
}
