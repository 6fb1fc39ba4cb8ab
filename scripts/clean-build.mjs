// `npm pack` / `npm publish` (prepack): a fresh dist/, so no file of an older build (a module since
// renamed or removed) ends up in the package.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
