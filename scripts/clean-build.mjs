// `npm pack` / `npm publish` (prepack): a fresh dist/, so no file of an older build (a module since
// renamed or removed) ends up in the package.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
// The console's stylesheet and script (tsc copies no plain files): the same step as `npm run build`.
execFileSync(process.execPath, ['scripts/copy-console-assets.mjs'], { stdio: 'inherit' });
