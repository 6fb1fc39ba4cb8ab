import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExample } from './run-example.js';

/** `npm run example:langgraph`: offline (no network, no API key), in a throw-away database. */
const dataDir = mkdtempSync(join(tmpdir(), 'orgvault-langgraph-example-'));
try {
  const runs = await runExample({
    databaseUrl: `sqlite:${join(dataDir, 'orgvault.db')}`,
    dataDir,
    masterKey: randomBytes(32).toString('base64'),
    warn: () => {},
  });
  console.log(JSON.stringify(runs, null, 2));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
