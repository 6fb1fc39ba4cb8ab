import type { Command } from 'commander';
import { deleteOrg } from '../orgs/org-deletion.js';
import { internalsOf } from '../vault-internals.js';
import { CliUsageError, printJson, printTable, withVault } from './context.js';
import { exitCodes } from './help.js';
import { progressFor } from './progress.js';

export function registerOrgCommands(program: Command): void {
  const orgs = program.command('orgs').description('organizations (tenants)');

  orgs
    .command('create <org_id>')
    .description('create an organization and its first owner key (printed once)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--plan <plan>', 'plan label')
    .action(async (orgId: string, opts: { name?: string; plan?: string }) => {
      await withVault(async (vault) => {
        // One transaction: an org never exists without the owner key that can manage it.
        const key = await vault.auth.createOrgWithOwner(orgId, { ...opts });
        printJson({ org_id: key.orgId, api_key: key.apiKey, key_id: key.keyId, role: key.role });
      });
    });

  orgs
    .command('list')
    .description('list organizations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withVault(async (vault) => {
        const list = await vault.system.listOrgs();
        if (opts.json) {
          printJson({
            organizations: list.map((o) => ({
              org_id: o.orgId,
              name: o.name,
              plan: o.plan,
              created_at: o.createdAt,
            })),
          });
        } else {
          printTable(
            ['ORG_ID', 'NAME', 'PLAN', 'CREATED_AT'],
            list.map((o) => [o.orgId, o.name, o.plan, o.createdAt]),
          );
        }
      });
    });

  exitCodes(
    orgs
      .command('delete <org_id>')
      .description(
        'delete an organization for good: its data keys first (its ciphertexts become unreadable), then its rows; prints what it removed',
      )
      .option('--yes', 'confirm: nothing of the org can be recovered afterwards'),
    '0 deleted, 1 an unknown org or another error (one line on stderr), 2 bad usage (without --yes: nothing deleted).',
  ).action(async (orgId: string, opts: { yes?: boolean; json?: boolean }) => {
    if (opts.yes !== true) {
      throw new CliUsageError(`deleting "${orgId}" cannot be undone: run again with --yes to confirm`);
    }
    await withVault(async (vault) => {
      // Two steps (the data keys, then the rows): the bar shows which one is running.
      const progress = progressFor(`deleting ${orgId}`, opts);
      progress.start(2);
      const removed = await deleteOrg(internalsOf(vault), orgId, (step) => {
        if (step === 'rows') progress.tick();
      })
        .then((done) => {
          progress.tick();
          return done;
        })
        .finally(() => progress.stop());
      printJson({
        org_id: removed.orgId,
        deleted: true,
        data_keys_destroyed: removed.dataKeys,
        rows_deleted: removed.rows,
      });
    });
  });
}
