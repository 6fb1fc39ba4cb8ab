import type { Command } from 'commander';
import { printJson, withVault } from './context.js';

/** `orgvault bootstrap`: the first owner key, same rules as POST /v1/bootstrap. */
export function registerBootstrapCommand(program: Command): void {
  program
    .command('bootstrap')
    .description('create the first owner key (in the default org); refused once any usable key exists')
    .action(async () => {
      await withVault(async (vault) => {
        const key = await vault.auth.bootstrap();
        printJson({ api_key: key.apiKey, key_id: key.keyId, org_id: key.orgId, role: key.role });
      });
    });
}
