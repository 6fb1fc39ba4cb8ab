import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintKeyId, parseMasterKeys } from '../../src/crypto/master-keyring.js';
import { openVault } from '../../src/vault.js';
import { sqliteBackend } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';

const key = () => randomBytes(32).toString('base64');
const quiet = { warn: () => {} };

describe('master key', () => {
  it('a wrong key with a known id is detected at open, naming the key id', async () => {
    const db = await sqliteBackend.fresh();
    const v = await openVault({ ...db.options, masterKey: `prod-2026:${key()}`, ...quiet });
    await v.close();
    await expect(
      openVault({ ...db.options, masterKey: `prod-2026:${key()}`, ...quiet }),
    ).rejects.toMatchObject({
      code: 'MASTER_KEY_MISMATCH',
      message: expect.stringContaining('prod-2026'),
    });
    await db.dispose();
  });

  it('a different key (no id) cannot open data wrapped by the first, and the error names the missing id', async () => {
    const db = await sqliteBackend.fresh();
    const first = key();
    const v = await openVault({ ...db.options, masterKey: first, ...quiet });
    await v.org().modules.install(manifest(WEATHER));
    await v.org().credentials.store(WEATHER, { api_key: 'wrapped-under-first' });
    await v.close();
    const firstId = fingerprintKeyId(Buffer.from(first, 'base64'));
    await expect(openVault({ ...db.options, masterKey: key(), ...quiet })).rejects.toMatchObject({
      code: 'MASTER_KEY_MISSING',
      message: expect.stringContaining(firstId),
    });
    await db.dispose();
  });

  it('rotation: data written before and after reads with only the new key', async () => {
    const db = await sqliteBackend.fresh();
    const oldKey = `old:${key()}`;
    const newKey = `new:${key()}`;
    let v = await openVault({ ...db.options, masterKey: oldKey, ...quiet });
    await v.system.createOrg('acme');
    await v.org('acme').modules.install(manifest(WEATHER));
    await v.org('acme').credentials.store(WEATHER, { api_key: 'before-rotation' });
    await v.close();

    // Both keys configured, newest first: new org keys are wrapped by the new key.
    v = await openVault({ ...db.options, masterKey: `${newKey},${oldKey}`, ...quiet });
    await v.org().modules.install(manifest(WEATHER));
    await v.org().credentials.store(WEATHER, { api_key: 'after-rotation' });
    // Before rotation the old key is still needed.
    await v.close();
    await expect(openVault({ ...db.options, masterKey: newKey, ...quiet })).rejects.toMatchObject({
      code: 'MASTER_KEY_MISSING',
      message: expect.stringContaining('"old"'),
    });

    v = await openVault({ ...db.options, masterKey: `${newKey},${oldKey}`, ...quiet });
    expect(await v.system.rotateMasterKey()).toEqual({ rewrapped: 1, masterKeyId: 'new' });
    expect(await v.system.rotateMasterKey()).toEqual({ rewrapped: 0, masterKeyId: 'new' });
    await v.close();

    v = await openVault({ ...db.options, masterKey: newKey, ...quiet });
    expect(await v.org('acme').credentials.retrieve(WEATHER)).toEqual({ api_key: 'before-rotation' });
    expect(await v.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'after-rotation' });
    await v.close();
    await db.dispose();
  });

  it('NEXUS defect 5: in production, no key means no start (there is no fallback key)', async () => {
    const db = await sqliteBackend.fresh();
    await expect(
      openVault({
        databaseUrl: db.options.databaseUrl,
        dataDir: db.options.dataDir,
        production: true,
        ...quiet,
      }),
    ).rejects.toMatchObject({ code: 'MASTER_KEY_MISSING' });
    await db.dispose();
  });

  it('outside production, a random key is generated once into <dataDir>/master.key (0600) with a warning', async () => {
    const a = await sqliteBackend.fresh();
    const b = await sqliteBackend.fresh();
    const warnings: string[] = [];
    const open = (d: typeof a) =>
      openVault({
        databaseUrl: d.options.databaseUrl,
        dataDir: d.options.dataDir,
        warn: (m) => warnings.push(m),
      });
    let va = await open(a);
    await va.org().modules.install(manifest(WEATHER));
    await va.org().credentials.store(WEATHER, { api_key: 'dev-secret' });
    await va.close();
    const vb = await open(b);
    await vb.close();
    const fileA = join(a.options.dataDir, 'master.key');
    expect(statSync(fileA).mode & 0o777).toBe(0o600);
    expect(readFileSync(fileA, 'utf8')).not.toBe(readFileSync(join(b.options.dataDir, 'master.key'), 'utf8'));
    expect(warnings.some((w) => w.includes('WARNING') && w.includes('master.key'))).toBe(true);
    // Reopening reuses the same generated key.
    va = await open(a);
    expect(await va.org().credentials.retrieve(WEATHER)).toEqual({ api_key: 'dev-secret' });
    await va.close();
    await a.dispose();
    await b.dispose();
  });

  it('NEXUS defect 5: no key material is written into the source', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          walk(path);
          continue;
        }
        // Regex literals, the specifiers of package imports (`.../sdk/server/streamableHttp.js`) and
        // the names a package exports (`WebStandardStreamableHTTPServerTransport`) aside.
        const text = readFileSync(path, 'utf8')
          .replace(/\/\^.*\$\//g, '')
          .replace(/^import (?:type )?\{[\w\s,]*\} from '@?[a-z0-9-]+(?:\/[A-Za-z0-9_-]+)*(?:\.js)?';$/gm, '')
          .replace(/ from '@?[a-z0-9-]+(?:\/[A-Za-z0-9_-]+)*\.js';$/gm, ';');
        if (/[A-Za-z0-9+/_-]{40,}={0,2}/.test(text)) {
          offenders.push(path);
        }
      }
    };
    walk(join(import.meta.dirname, '../../src'));
    expect(offenders).toEqual([]);
  });

  it.each([
    ['too short', 'c2hvcnQ='],
    ['not base64', '!!!!'],
    ['bad id', `bad id:${Buffer.alloc(32).toString('base64')}`],
    ['duplicate id', `a:${Buffer.alloc(32).toString('base64')},a:${Buffer.alloc(32, 1).toString('base64')}`],
  ])('rejects a malformed ORGVAULT_MASTER_KEY (%s)', (_label, value) => {
    expect(() => parseMasterKeys(value)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
