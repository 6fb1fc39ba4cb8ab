import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, runCli } from '../../src/cli/program.js';

/** Every leaf command, by the words that name it (`['credentials', 'set']`). */
function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((sub) =>
    sub.commands.length > 0
      ? leaves(sub, [...path, sub.name()])
      : [{ path: [...path, sub.name()], cmd: sub }],
  );
}

/** `orgvault <path> --help`, run as the CLI runs it, with what it printed. */
async function help(path: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    return { code: await runCli([...path, '--help']), text };
  } finally {
    out.mockRestore();
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

const commands = leaves(buildProgram());

describe('--help of every command says what it does, what each argument is and how it exits', () => {
  it('covers the commands DESIGN.md lists', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const name of [
      'modules install',
      'modules enable',
      'modules disable',
      'modules uninstall',
      'credentials set',
      'credentials delete',
      'orgs delete',
      'master-key rotate',
      'import-nexus',
      'audit verify',
      'audit export',
      'mcp',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(commands.map((c) => [c.path.join(' '), c] as const))('%s --help', async (_name, { path, cmd }) => {
    const { code, text } = await help(path);
    expect(code).toBe(0);
    // What it does: the description, printed under the usage line.
    expect(cmd.description().length).toBeGreaterThan(10);
    expect(text).toContain(cmd.description().split(' ').slice(0, 4).join(' '));
    // Its arguments, each with a description of its own.
    for (const arg of cmd.registeredArguments) {
      expect(arg.description, `${path.join(' ')} <${arg.name()}>`).not.toBe('');
      expect(text).toMatch(new RegExp(`Arguments:\\n(.*\\n)*\\s+${arg.name()}\\s+\\S`));
    }
    // Its exit codes: exactly one line, starting with success.
    const exits = text.split('\n').filter((l) => l.startsWith('Exit codes: '));
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatch(/^Exit codes: 0 .*, 1 .*2 bad usage/);
  });

  it('commands with codes of their own say them: import-nexus 3, audit verify 1 when broken', async () => {
    expect((await help(['import-nexus'])).text).toMatch(/Exit codes: .*3 some credentials unreadable/);
    expect((await help(['audit', 'verify'])).text).toMatch(/Exit codes: .*1 broken/);
    expect((await help(['credentials', 'set'])).text).toMatch(
      /2 bad usage \(credentials given as an argument/,
    );
    expect((await help(['orgs', 'delete'])).text).toMatch(/2 bad usage \(without --yes/);
  });
});
