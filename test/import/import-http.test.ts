import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { importNexus } from '../../src/index.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { copyFixture, type FixtureCopy } from './nexus-fixtures.js';

const backends = await selectedBackends();

describe.each(backends.map((b) => [b.name, b] as const))(
  'imported NEXUS keys over HTTP on %s',
  (_n, backend) => {
    let fixture: FixtureCopy;
    let vault: Vault;
    let close: () => Promise<void>;
    let app: Awaited<ReturnType<typeof buildApp>>;

    beforeAll(async () => {
      fixture = copyFixture('v2-org-scoped');
      ({ vault, close } = await freshVault(backend));
      await importNexus(vault, {
        registry: fixture.registry,
        credentials: fixture.credentials,
        apiKeys: fixture.apiKeys,
        nexusKey: fixture.expected.nexus_encryption_key,
      });
      app = await buildApp({ vault, logger: pino({ level: 'silent' }) });
    });
    afterAll(async () => {
      await app.close();
      await close();
      fixture.dispose();
    });

    it('each key of expected.json authenticates with its original plaintext exactly when must_authenticate', async () => {
      for (const k of fixture.expected.api_keys) {
        const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': k.plaintext } });
        if (k.must_authenticate) {
          expect(res.statusCode, k.key_id).toBe(200);
          expect(res.json()).toMatchObject({ org_id: k.org_id, key_id: k.key_id, role: k.role });
        } else {
          expect(res.statusCode, k.key_id).toBe(401);
        }
      }
    });

    it("an imported key reaches its own org's imported modules, and only those", async () => {
      const key = fixture.expected.api_keys.find((k) => k.org_id === 'globex' && k.must_authenticate);
      if (!key) throw new Error('fixture has a usable globex key');
      const res = await app.inject({
        method: 'GET',
        url: '/v1/modules',
        headers: { authorization: `Bearer ${key.plaintext}` },
      });
      expect(res.statusCode).toBe(200);
      const ids = (res.json() as { modules: { module_id: string }[] }).modules.map((m) => m.module_id).sort();
      const expected = fixture.expected.modules.filter((m) => m.org_id === 'globex').map((m) => m.module_id);
      expect(ids).toEqual(expected.sort());
    });
  },
);
