// The console's stylesheet and script are plain files: tsc does not copy them, so the build does.
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/console/assets', { recursive: true });
cpSync('src/console/assets', 'dist/console/assets', { recursive: true });
