import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVault } from '../../src/index.js';

/**
 * `npm run example:library`: README's Library section, runnable, in a throw-away SQLite database.
 * From another project, import from 'orgvault' instead of '../../src/index.js'.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'orgvault-library-example-'));
try {
  const vault = await openVault({ dataDir, masterKey: randomBytes(32).toString('base64') });
  await vault.system.createOrg('acme', { name: 'Acme', plan: 'pro' });
  const acme = vault.org('acme');
  await acme.modules.install({ name: 'openweather', category: 'weather', platform: 'openweather', version: '1.0.0' });
  await acme.credentials.store('weather/openweather', { api_key: 'sk-example' });
  const result = {
    retrieved: await acme.credentials.retrieve('weather/openweather'),
    inDefaultOrg: await vault.org().credentials.retrieve('weather/openweather'),
    disabled: await acme.modules.disable('weather/openweather'),
    modules: (await acme.modules.list()).map((m) => ({ id: m.moduleId, status: m.status })),
    unhealthy: (await vault.system.listUnhealthy({ failureThreshold: 5 })).length,
  };
  await vault.close();
  console.log(JSON.stringify(result));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
