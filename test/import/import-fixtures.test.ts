import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNexus, type NexusImportResult } from '../../src/index.js';
import type { Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { copyFixture, type FixtureCopy, GENERATIONS, nexusToIso, sortedRefs } from './nexus-fixtures.js';

const backends = await selectedBackends();

/** Restored modules each fixture implies: credentials held by an org whose module row NEXUS lost. */
const RESTORED: Record<(typeof GENERATIONS)[number], { org_id: string; module_id: string }[]> = {
  'v1-single-tenant': [],
  'v2-org-scoped': [
    { org_id: 'acme', module_id: 'gaming/clashroyale' },
    { org_id: 'acme', module_id: 'weather/openweather' },
    { org_id: 'default', module_id: 'navigation/mapbox' },
  ],
};

describe.each(backends.map((b) => [b.name, b] as const))('NEXUS import on %s', (_name, backend) => {
  describe.each(GENERATIONS.map((g) => [g] as const))('%s', (generation) => {
    let fixture: FixtureCopy;
    let vault: Vault;
    let close: () => Promise<void>;
    let result: NexusImportResult;

    beforeAll(async () => {
      fixture = copyFixture(generation);
      ({ vault, close } = await freshVault(backend));
      result = await importNexus(vault, {
        registry: fixture.registry,
        credentials: fixture.credentials,
        apiKeys: fixture.apiKeys,
        nexusKey: fixture.expected.nexus_encryption_key,
      });
    });
    afterAll(async () => {
      await close();
      fixture.dispose();
    });

    it('detects the generation of each file', () => {
      expect(result.generations).toEqual({ registry: generation, credentials: generation });
    });

    it('imports every module of expected.json with its status, counters, times and manifest', async () => {
      for (const m of fixture.expected.modules) {
        const got = await vault.org(m.org_id).modules.get(m.module_id);
        expect(got, `${m.org_id}:${m.module_id}`).not.toBeNull();
        expect(got).toMatchObject({
          orgId: m.org_id,
          moduleId: m.module_id,
          status: m.status,
          healthStatus: m.health_status,
          failureCount: m.failure_count,
          successCount: m.success_count,
          lastUsedAt: m.last_used === null ? null : nexusToIso(m.last_used),
          installedAt: nexusToIso(m.installed_at),
          updatedAt: nexusToIso(m.updated_at),
          version: m.version,
        });
        expect(got?.manifest).toMatchObject({
          version: m.version,
          auth_type: m.auth_type,
          display_name: m.display_name,
        });
        // NEXUS-only manifest fields round-trip untouched.
        expect(got?.manifest).toHaveProperty('entry_point', 'adapter.py');
        expect(got?.manifest).toHaveProperty('validation_results.syntax_check', 'pass');
        expect(got?.manifest).toHaveProperty('auth_url', null);
      }
    });

    it('restores, disabled, the modules NEXUS lost in orgs that still had credentials', async () => {
      expect(result.report.restored_modules).toEqual(RESTORED[generation]);
      for (const r of RESTORED[generation]) {
        const got = await vault.org(r.org_id).modules.get(r.module_id);
        expect(got).toMatchObject({ status: 'disabled', healthStatus: 'unknown', successCount: 0 });
        expect(got?.manifest).toMatchObject({ category: r.module_id.split('/')[0] });
      }
      const expectedTotal = fixture.expected.modules.length + RESTORED[generation].length;
      const orgIds = new Set(fixture.expected.modules.map((m) => m.org_id));
      let total = 0;
      for (const orgId of orgIds) total += (await vault.org(orgId).modules.list()).length;
      expect(total).toBe(expectedTotal);
      expect(result.report.modules).toBe(expectedTotal);
    });

    it('imports every readable credential with its decrypted value and times', async () => {
      for (const c of fixture.expected.credentials) {
        const creds = vault.org(c.org_id).credentials;
        expect(await creds.retrieve(c.module_id), `${c.org_id}:${c.module_id}`).toEqual(c.credentials);
        expect(await creds.metadata(c.module_id)).toMatchObject({
          createdAt: nexusToIso(c.created_at),
          updatedAt: nexusToIso(c.updated_at),
          fields: Object.keys(c.credentials).sort(),
        });
      }
      expect(result.report.credentials).toBe(fixture.expected.credentials.length);
    });

    it('reports unreadable credentials exactly and does not import them', async () => {
      expect(result.report.unreadable_credentials).toEqual(
        sortedRefs(fixture.expected.unreadable_credentials),
      );
      for (const u of fixture.expected.unreadable_credentials) {
        expect(await vault.org(u.org_id).credentials.has(u.module_id)).toBe(false);
      }
    });

    it('imports and flags credentials under the public NEXUS dev key', async () => {
      expect(result.report.dev_key_credentials).toEqual(sortedRefs(fixture.expected.dev_key_credentials));
      for (const d of fixture.expected.dev_key_credentials) {
        expect(await vault.org(d.org_id).credentials.has(d.module_id)).toBe(true);
      }
    });

    it('imports organizations with name, plan and created time', async () => {
      const orgs = await vault.system.listOrgs();
      for (const o of fixture.expected.organizations) {
        expect(orgs.find((x) => x.orgId === o.org_id)).toEqual({
          orgId: o.org_id,
          name: o.name,
          plan: o.plan,
          createdAt: nexusToIso(o.created_at),
        });
      }
      // default always exists, whatever NEXUS generation came in.
      expect(orgs.map((o) => o.orgId)).toContain('default');
    });

    it('imports API keys: original plaintexts authenticate exactly when must_authenticate', async () => {
      expect(result.report.api_keys).toBe(fixture.expected.api_keys.length);
      for (const k of fixture.expected.api_keys) {
        const verdict = await vault.auth.verify(k.plaintext);
        if (k.must_authenticate) {
          expect(verdict, k.key_id).toMatchObject({
            ok: true,
            orgId: k.org_id,
            keyId: k.key_id,
            role: k.role,
          });
        } else {
          expect(verdict.ok, k.key_id).toBe(false);
        }
      }
    });

    it('keeps key status, role and grace end as NEXUS had them', async () => {
      for (const k of fixture.expected.api_keys) {
        const row = await internalsOf(vault).storage.read({ kind: 'system' }, (r) =>
          r.apiKeys.findApiKey(k.org_id, k.key_id),
        );
        expect(row).toMatchObject({
          orgId: k.org_id,
          role: k.role,
          status: k.status,
          legacy: true,
          graceUntil: k.rotation_grace_until === null ? null : nexusToIso(k.rotation_grace_until),
        });
      }
    });

    it('leaves an audit trail that names fields, never values, and still verifies', async () => {
      for (const orgId of new Set(fixture.expected.credentials.map((c) => c.org_id))) {
        const events = await vault.org(orgId).audit.list({ limit: 1000 });
        const text = JSON.stringify(events);
        for (const c of fixture.expected.credentials) {
          for (const v of Object.values(c.credentials)) expect(text).not.toContain(v);
        }
        expect(events.some((e) => e.action === 'credentials.import')).toBe(true);
        expect((await vault.system.verifyAuditChain(orgId)).ok).toBe(true);
      }
    });
  });
});
