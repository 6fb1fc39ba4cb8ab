import type { Command } from 'commander';
import { printJson, withVault } from './context.js';
import { progressFor } from './progress.js';

export function registerMasterKeyCommands(program: Command): void {
  const mk = program.command('master-key').description('master key management');

  mk.command('rotate')
    .description(
      're-wrap every org data key under the newest master key (the first in ORGVAULT_MASTER_KEY); afterwards older keys can be removed',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withVault(async (vault) => {
        const progress = progressFor('re-wrapping org keys', opts);
        let started = false;
        const r = await vault.system
          .rotateMasterKey({
            onProgress: (done, total) => {
              if (!started) progress.start(total);
              started = true;
              if (done > 0) progress.tick();
            },
          })
          .finally(() => progress.stop());
        if (opts.json) printJson({ rewrapped: r.rewrapped, master_key_id: r.masterKeyId });
        else process.stdout.write(`re-wrapped ${r.rewrapped} org key(s) under master key ${r.masterKeyId}\n`);
      });
    });
}
