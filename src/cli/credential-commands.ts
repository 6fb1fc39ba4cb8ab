import type { Command } from 'commander';
import { CliError, CliUsageError, printJson, withVault } from './context.js';
import { exitCodes } from './help.js';
import { readJsonInput } from './json-input.js';

const NOT_ON_ARGV =
  'credentials are never taken as arguments (shell history and process lists would keep them): ' +
  'use --from-file FILE or --stdin';

export function registerCredentialCommands(program: Command): void {
  const credentials = program
    .command('credentials')
    .description("a module's credentials (sealed, never shown)");

  exitCodes(
    credentials
      .command('set <module_id>')
      .description('store (or replace) the credentials of a module, a JSON object read from a file or stdin')
      .requiredOption('--org <org_id>', 'organization id')
      .option('--from-file <file>', 'a file holding the JSON object')
      .option('--stdin', 'read the JSON object from stdin')
      // Extra arguments are refused below with a message of our own (commander's would not say why).
      .allowExcessArguments(true),
    '0 stored, 1 a missing file, invalid JSON, not an object, an unknown org or module (one line on stderr), 2 bad usage (credentials given as an argument; neither or both of --from-file and --stdin).',
  ).action(
    async (moduleId: string, opts: { org: string; fromFile?: string; stdin?: boolean }, cmd: Command) => {
      if (cmd.args.length > 1) throw new CliUsageError(NOT_ON_ARGV);
      if ((opts.fromFile === undefined) === (opts.stdin !== true)) {
        throw new CliUsageError('give exactly one of --from-file FILE or --stdin');
      }
      const values = await readJsonInput({ file: opts.fromFile, stdin: opts.stdin });
      if (values === null || typeof values !== 'object' || Array.isArray(values)) {
        throw new CliError('credentials must be a JSON object of field names to values');
      }
      await withVault(async (vault) => {
        const org = vault.org(opts.org);
        await org.credentials.store(moduleId, values as Record<string, unknown>);
        const meta = await org.credentials.metadata(moduleId);
        printJson({ org_id: opts.org, module_id: moduleId, fields: meta?.fields ?? [] });
      });
    },
  );

  exitCodes(
    credentials
      .command('delete <module_id>')
      .description('delete the credentials of a module')
      .requiredOption('--org <org_id>', 'organization id'),
    '0 deleted, 1 nothing stored for the module or another error (one line on stderr), 2 bad usage.',
  ).action(async (moduleId: string, opts: { org: string }) => {
    await withVault(async (vault) => {
      if (!(await vault.org(opts.org).credentials.delete(moduleId))) {
        throw new CliError(`no credentials stored for module "${moduleId}" in org "${opts.org}"`);
      }
      printJson({ org_id: opts.org, module_id: moduleId, deleted: true });
    });
  });
}
