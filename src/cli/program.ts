import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ENV_VARIABLES } from '../config.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerBootstrapCommand } from './bootstrap-command.js';
import { CliUsageError, describeError, EXIT } from './context.js';
import { registerCredentialCommands } from './credential-commands.js';
import { registerDoctorCommand } from './doctor-command.js';
import { completeHelp } from './help.js';
import { registerImportCommand } from './import-command.js';
import { registerKeyCommands } from './key-commands.js';
import { registerMasterKeyCommands } from './master-key-commands.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerModuleCommands } from './module-commands.js';
import { registerOrgCommands } from './org-commands.js';
import { registerServeCommand } from './serve-command.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Breaks a long list into lines of at most 100 characters, each indented. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + word.length + 1 > 100) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

const ENV_HELP = `
Environment (the same as the server's):
  ORGVAULT_DATABASE_URL   sqlite:<path> (default sqlite:<data dir>/orgvault.db) or postgres://...
  ORGVAULT_DATABASE_OWNER_URL  PostgreSQL: the schema owner, for migrations (the runtime role never owns tables)
  ORGVAULT_DATA_DIR       data directory (default ./data)
  ORGVAULT_MASTER_KEY     32-byte base64 master key(s), comma-separated, newest first; id:key to name one
  ORGVAULT_AUDIT_SIGNING_KEY  Ed25519 key(s) that sign audit checkpoints: PKCS#8 PEM or 32-byte base64 seed, newest first
  ORGVAULT_HOST, ORGVAULT_PORT, ORGVAULT_LOG_LEVEL, ORGVAULT_REDIS_URL, NODE_ENV
  Every variable (README.md, section Configuration, describes each one):
${wrap(ENV_VARIABLES.join(', '), '    ')}

Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage.`;

/** Builds the `orgvault` program; each command group lives in its own file. */
export function buildProgram(): Command {
  const program = new Command('orgvault')
    .description('orgvault: multi-tenant modules, credentials, API keys and audit for LLM agents')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENV_HELP)
    .exitOverride();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerDoctorCommand(program);
  registerOrgCommands(program);
  registerModuleCommands(program);
  registerCredentialCommands(program);
  registerMasterKeyCommands(program);
  registerBootstrapCommand(program);
  registerKeyCommands(program);
  registerAuditCommands(program);
  registerImportCommand(program);
  registerMcpCommand(program);
  for (const cmd of program.commands) cmd.exitOverride();
  acceptJsonEverywhere(program);
  completeHelp(program);
  return program;
}

/**
 * DESIGN.md: `--json` output is one JSON document on stdout. Commands that always print JSON
 * (bootstrap, orgs create, keys create...) accept the flag too, so scripts can pass it uniformly.
 */
function acceptJsonEverywhere(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length > 0) acceptJsonEverywhere(sub);
    else if (
      sub.name() !== 'serve' &&
      sub.name() !== 'mcp' &&
      !sub.options.some((o) => o.long === '--json')
    ) {
      sub.option('--json', 'print JSON (this command always does)');
    }
  }
}

/** Runs the CLI and returns the exit code (never throws). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander reports is bad usage.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    process.stderr.write(`orgvault: ${describeError(err)}\n`);
    return err instanceof CliUsageError ? EXIT.usage : EXIT.userError;
  }
}
