import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

/**
 * README: `npm start` serves on a fresh clone. Its build step (scripts/ensure-built.mjs) must give
 * the same dist/ as `npm run build`, console assets included (tsc does not copy them).
 */
describe('npm start on a fresh clone builds a complete dist/', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('ensure-built compiles and copies the console assets; a dist/ without them gets them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'orgvault-clone-'));
    for (const f of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, f), join(dir, f), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const build = () => run(process.execPath, ['scripts/ensure-built.mjs'], { cwd: dir });
    const first = await build();
    expect(first.stderr).toContain('building dist/');
    for (const asset of ['console.js', 'console.css']) {
      expect(existsSync(join(dir, 'dist/console/assets', asset)), asset).toBe(true);
    }
    expect(existsSync(join(dir, 'dist/cli/main.js'))).toBe(true);
    // Up to date: nothing to do.
    expect((await build()).stderr).toBe('');
    // A dist/ missing its assets (built by tsc alone, as before) is completed.
    rmSync(join(dir, 'dist/console/assets'), { recursive: true });
    expect((await build()).stderr).toContain('copying the console assets');
    expect(existsSync(join(dir, 'dist/console/assets/console.js'))).toBe(true);
  }, 240_000);
});
