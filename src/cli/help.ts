import type { Command } from 'commander';

/** What each positional argument is, said once for every command that takes it. */
const ARGUMENTS: Record<string, string> = {
  org_id: 'the organization id (as `orgs list` shows it)',
  module_id: 'the module id, category/platform (e.g. weather/openweather)',
  key_id: 'the API key id (as `keys list` shows it; never the secret)',
};

const DEFAULT_EXIT_CODES = '0 success, 1 error (one line on stderr), 2 bad usage.';

/** Commands that state their own exit codes (the rest get the default). */
const stated = new WeakSet<Command>();

/** Adds `Exit codes: <text>` to a command's --help, instead of the default line. */
export function exitCodes(cmd: Command, text: string): Command {
  stated.add(cmd);
  return cmd.addHelpText('after', `\nExit codes: ${text}`);
}

/**
 * Every command's --help says what it does, what each argument is and how it exits: arguments get
 * their description from one table, and commands without exit codes of their own the default line.
 */
export function completeHelp(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length > 0) {
      completeHelp(sub);
      continue;
    }
    for (const arg of sub.registeredArguments) {
      if (arg.description === '') arg.description = ARGUMENTS[arg.name()] ?? '';
    }
    if (!stated.has(sub)) sub.addHelpText('after', `\nExit codes: ${DEFAULT_EXIT_CODES}`);
  }
}
