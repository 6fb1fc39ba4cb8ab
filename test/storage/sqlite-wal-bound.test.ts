import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshVault, sqliteBackend } from '../support/backends.js';
import { manifest } from '../support/manifests.js';

const INSTALLS = 100_000;
const WAL_LIMIT = 64 * 1024 * 1024;

const fileSize = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

describe('sqlite: the WAL stays bounded under a tight write loop', () => {
  it(`${INSTALLS.toLocaleString('en-US')} installs awaited back to back leave the WAL under 64 MB`, async () => {
    const { vault, db } = await freshVault(sqliteBackend);
    const path = join(db.options.dataDir, 'orgvault.db');
    try {
      // A realistic spread of rows: 1,000 modules, each reinstalled with a new version 100 times.
      const ids = Array.from({ length: 1000 }, (_, i) => `weather/platform_${i}`);
      const org = vault.org();
      let largestWal = 0;
      for (let i = 0; i < INSTALLS; i++) {
        // No yield to timers between installs: each await resolves at once (SQLite answers
        // synchronously), the loop a 1 s checkpoint timer never got to run in.
        await org.modules.install(manifest(ids[i % ids.length] as string, { version: `1.${i}.0` }));
        if (i % 5000 === 0) largestWal = Math.max(largestWal, fileSize(`${path}-wal`));
      }
      largestWal = Math.max(largestWal, fileSize(`${path}-wal`));
      expect(largestWal).toBeGreaterThan(0);
      expect(largestWal).toBeLessThan(WAL_LIMIT);
      // The rows went into the database file itself (checkpointed), not only into the WAL.
      expect(fileSize(path)).toBeGreaterThan(1024 * 1024);
      const last = await org.modules.get(ids[(INSTALLS - 1) % ids.length] as string);
      expect(last?.version).toBe(`1.${INSTALLS - 1}.0`);
    } finally {
      await vault.close();
      await db.dispose();
    }
  }, 300_000);
});
