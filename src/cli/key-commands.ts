import type { Command } from 'commander';
import { toApiKeyJson, toIssuedKeyJson } from '../auth/api-key-info.js';
import type { Vault } from '../vault.js';
import { internalsOf } from '../vault-internals.js';
import { integerIn } from './arguments.js';
import { CliError, printJson, printTable, withVault } from './context.js';

/** The org of a key named by id alone (the CLI is local and may look across orgs). */
async function orgOfKey(vault: Vault, keyId: string, org: string | undefined): Promise<string> {
  if (org !== undefined) return org;
  const found = await internalsOf(vault).apiKeys.findOrgOfKey(keyId);
  if (found === null) throw new CliError(`API key "${keyId}" not found`);
  return found;
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys');

  keys
    .command('create')
    .description('create an API key (printed once as JSON)')
    .requiredOption('--org <org_id>', 'organization id')
    .requiredOption('--role <role>', 'viewer, operator, admin or owner')
    .option('--name <name>', 'a label for people')
    .option('--expires-at <time>', 'ISO-8601 expiry time')
    .action(async (opts: { org: string; role: string; name?: string; expiresAt?: string }) => {
      await withVault(async (vault) => {
        const key = await vault.org(opts.org).keys.create({
          role: opts.role,
          name: opts.name,
          expiresAt: opts.expiresAt,
        });
        printJson(toIssuedKeyJson(key));
      });
    });

  keys
    .command('list')
    .description("list an organization's keys (never secrets)")
    .requiredOption('--org <org_id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      await withVault(async (vault) => {
        const list = await vault.org(opts.org).keys.list();
        if (opts.json) printJson({ api_keys: list.map(toApiKeyJson) });
        else
          printTable(
            ['KEY_ID', 'ROLE', 'STATUS', 'NAME', 'CREATED_AT', 'EXPIRES_AT', 'LAST_USED_AT'],
            list.map((k) => [k.keyId, k.role, k.status, k.name, k.createdAt, k.expiresAt, k.lastUsedAt]),
          );
      });
    });

  keys
    .command('revoke <key_id>')
    .description('revoke a key immediately')
    .option('--org <org_id>', 'organization id (found from the key id when omitted)')
    .action(async (keyId: string, opts: { org?: string }) => {
      await withVault(async (vault) => {
        const org = await orgOfKey(vault, keyId, opts.org);
        if (!(await vault.org(org).keys.revoke(keyId))) throw new CliError(`API key "${keyId}" not found`);
        printJson({ key_id: keyId, org_id: org, status: 'revoked' });
      });
    });

  keys
    .command('rotate <key_id>')
    .description('issue a new key with the same role; the old one works until the grace period ends')
    .option('--org <org_id>', 'organization id (found from the key id when omitted)')
    .option(
      '--grace-seconds <s>',
      'how long the old key keeps working (default 86400)',
      integerIn(0, 365 * 86400),
    )
    .action(async (keyId: string, opts: { org?: string; graceSeconds?: number }) => {
      await withVault(async (vault) => {
        const org = await orgOfKey(vault, keyId, opts.org);
        const rotated = await vault.org(org).keys.rotate(keyId, { graceSeconds: opts.graceSeconds });
        if (rotated === null) throw new CliError(`API key "${keyId}" not found`);
        printJson({
          ...toIssuedKeyJson(rotated),
          rotated_from: rotated.rotatedFrom,
          rotated_from_grace_until: rotated.rotatedFromGraceUntil,
        });
      });
    });
}
