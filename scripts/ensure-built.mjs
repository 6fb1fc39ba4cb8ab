// `npm start` must work on a fresh clone: build dist/ when it is missing, incomplete or older than src/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const entry = 'dist/cli/main.js';
// The console's assets are plain files tsc does not copy: without them /console serves no stylesheet
// or script. They are copied after every build, and into a dist/ that lacks them (built by tsc alone).
const assets = 'dist/console/assets/console.js';
const stale = !existsSync(entry) || statSync(entry).mtimeMs < newest('src');
if (stale) {
  process.stderr.write('orgvault: building dist/ ...\n');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
if (stale || !existsSync(assets)) {
  if (!stale) process.stderr.write('orgvault: copying the console assets into dist/ ...\n');
  execFileSync(process.execPath, ['scripts/copy-console-assets.mjs'], { stdio: 'inherit' });
}
