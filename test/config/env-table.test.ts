import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../src/config.js';
import { runOrgvault } from '../support/cli.js';

/** README's Configuration table lists every variable config.ts reads, and nothing it does not. */
describe('README environment table', () => {
  it('names exactly the ORGVAULT_* variables of config.ts', () => {
    const root = join(import.meta.dirname, '../..');
    const config = readFileSync(join(root, 'src/config.ts'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('## PostgreSQL and several nodes'),
    );
    const tableRows = section.split('\n').filter((line) => line.startsWith('| `'));
    const names = (text: string) => new Set(text.match(/ORGVAULT_[A-Z_]+/g) ?? []);
    const fromConfig = names(config);
    const fromTable = names(tableRows.join('\n'));
    expect(fromConfig.size).toBeGreaterThan(10);
    expect([...fromTable].sort()).toEqual([...fromConfig].sort());
  });

  it('orgvault --help names every variable and points to the table', async () => {
    const r = await runOrgvault(['--help'], {});
    expect(r.code).toBe(0);
    expect(ENV_VARIABLES.length).toBeGreaterThan(10);
    for (const name of ENV_VARIABLES) expect(r.stdout, name).toContain(name);
    expect(r.stdout).toContain('README.md, section Configuration');
  });
});
