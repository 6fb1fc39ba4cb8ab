import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orgScope } from '../../src/storage/storage.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';

describe('NEXUS defect 1 (INSERT OR REPLACE keyed by module id alone)', () => {
  it('no storage adapter writes with REPLACE (it deletes the old row, and by cascade its credentials)', () => {
    const root = join(import.meta.dirname, '../../src/storage');
    const offenders: string[] = [];
    for (const dir of ['sqlite', 'postgres']) {
      for (const file of readdirSync(join(root, dir))) {
        const code = readFileSync(join(root, dir, file), 'utf8')
          .split('\n')
          .filter((line) => !line.trim().startsWith('//') && !line.trim().startsWith('*'))
          .join('\n');
        if (/\bREPLACE\s+INTO\b|\bOR\s+REPLACE\b/i.test(code)) offenders.push(`${dir}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe.each(await selectedBackends())('importModule over an existing row ($name)', (backend) => {
  it('keeps the module credentials', async () => {
    const { vault, close } = await freshVault(backend);
    try {
      const installed = await vault.org().modules.install(manifest(WEATHER));
      await vault.org().credentials.store(WEATHER, { api_key: 'survives-import' });
      await internalsOf(vault).storage.transaction(orgScope('default'), (tx) =>
        tx.modules.importModule('default', {
          ...installed,
          version: '9.9.9',
          consecutiveFailures: 0,
          lastFailureAt: null,
        }),
      );
      expect((await vault.org().modules.get(WEATHER))?.version).toBe('9.9.9');
      expect(await vault.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'survives-import' });
    } finally {
      await close();
    }
  });
});
