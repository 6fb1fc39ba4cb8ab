import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOrgvault } from '../support/cli.js';

/** `orgvault doctor` reports an unreachable rate-limit store without ever printing its URL. */
describe('orgvault doctor and Redis', () => {
  it('fails on an unreachable Redis and keeps the password out of its output', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'orgvault-doctor-redis-'));
    try {
      // Port 9 (discard) on loopback: nothing listens there.
      const r = await runOrgvault(['doctor', '--json'], {
        ORGVAULT_DATA_DIR: dataDir,
        ORGVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
        ORGVAULT_REDIS_URL: 'redis://:hunter2-redis@127.0.0.1:9',
      });
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as { ok: boolean; checks: { ok: boolean; check: string }[] };
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.check === 'rate-limit store')?.ok).toBe(false);
      expect(r.stdout + r.stderr).not.toContain('hunter2-redis');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
