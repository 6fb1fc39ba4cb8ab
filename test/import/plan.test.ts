import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseFernetKey } from '../../src/importers/nexus/fernet.js';
import { nexusTimeToIso } from '../../src/importers/nexus/nexus-time.js';
import { NEXUS_DEV_KEY } from '../../src/importers/nexus/open-credential.js';
import { type NexusSources, planImport } from '../../src/importers/nexus/plan.js';
import type { LegacyApiKey } from '../../src/importers/nexus/read-api-keys.js';
import type { LegacyCredential } from '../../src/importers/nexus/read-credentials.js';
import type { LegacyModule } from '../../src/importers/nexus/read-registry.js';
import { encodeFernet } from './fernet-encoder.js';

const NOW = '2026-03-01T00:00:00.000Z';
const deploymentKey = randomBytes(32).toString('base64url');

function legacyModule(
  moduleId: string,
  orgId = 'default',
  manifest: Record<string, unknown> = {},
): LegacyModule {
  const [category = '', platform = ''] = moduleId.split('/');
  return {
    orgId,
    moduleId,
    name: platform,
    category,
    platform,
    status: 'installed',
    healthStatus: 'healthy',
    manifestJson: JSON.stringify({ name: platform, category, platform, version: '1.0.0', ...manifest }),
    installedAt: '2026-01-01T00:00:00',
    updatedAt: null,
    failureCount: null,
    successCount: 3,
    lastUsed: null,
  };
}

const credential = (moduleId: string, orgId: string, token: string): LegacyCredential => ({
  orgId,
  moduleId,
  token,
  createdAt: '2026-01-02T03:04:05.123456',
  updatedAt: '2026-01-03 03:04:05',
});

const sources = (
  modules: LegacyModule[],
  credentials: LegacyCredential[],
  apiKeys?: LegacyApiKey[],
): NexusSources => ({
  registry: { generation: 'v2-org-scoped', modules },
  credentials: { generation: 'v2-org-scoped', credentials },
  apiKeys: apiKeys ? { apiKeys, organizations: [] } : undefined,
});

describe('NEXUS import planner', () => {
  it('keeps counters and times, fills NULLs from the other column, keeps unknown manifest fields', () => {
    const plan = planImport(
      sources([legacyModule('demo/thing', 'default', { python_dependencies: ['x'] })], []),
      parseFernetKey(deploymentKey),
      NOW,
    );
    expect(plan.modules[0]).toMatchObject({
      orgId: 'default',
      restored: false,
      row: {
        installedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        failureCount: 0,
        successCount: 3,
        manifest: { python_dependencies: ['x'] },
      },
    });
  });

  it('restores a module found in no org with a minimal manifest, disabled', () => {
    const token = encodeFernet(deploymentKey, JSON.stringify({ api_key: 'k' }));
    const plan = planImport(
      sources([], [credential('ghost/module', 'acme', token)]),
      parseFernetKey(deploymentKey),
      NOW,
    );
    expect(plan.modules).toEqual([
      expect.objectContaining({
        orgId: 'acme',
        restored: true,
        row: expect.objectContaining({
          status: 'disabled',
          manifest: { name: 'module', category: 'ghost', platform: 'module', version: '0.0.0' },
        }),
      }),
    ]);
    expect(plan.orgs.map((o) => o.row.orgId).sort()).toEqual(['acme', 'default']);
  });

  it('flags everything as exposed when the deployment key is the public dev key itself', () => {
    const token = encodeFernet(NEXUS_DEV_KEY, JSON.stringify({ api_key: 'k' }));
    const plan = planImport(
      sources([legacyModule('demo/thing')], [credential('demo/thing', 'default', token)]),
      parseFernetKey(NEXUS_DEV_KEY),
      NOW,
    );
    expect(plan.devKey).toEqual([{ org_id: 'default', module_id: 'demo/thing' }]);
    expect(plan.credentials[0]?.devKey).toBe(true);
  });

  it('reports, never imports, tokens under no key and plaintexts that are not credentials objects', () => {
    const otherKey = randomBytes(32).toString('base64url');
    const plan = planImport(
      sources(
        [legacyModule('demo/a'), legacyModule('demo/b')],
        [
          credential('demo/a', 'default', encodeFernet(otherKey, '{"api_key":"k"}')),
          credential('demo/b', 'default', encodeFernet(deploymentKey, '["not", "an", "object"]')),
        ],
      ),
      parseFernetKey(deploymentKey),
      NOW,
    );
    expect(plan.credentials).toEqual([]);
    expect(plan.unreadable).toEqual([
      { org_id: 'default', module_id: 'demo/a' },
      { org_id: 'default', module_id: 'demo/b' },
    ]);
  });

  it('keeps a rotation-pending grace end and drops a stray one on an active key', () => {
    const key = (keyId: string, status: string): LegacyApiKey => ({
      keyId,
      orgId: 'acme',
      keyHash: 'AB'.repeat(32),
      role: 'operator',
      userId: null,
      createdAt: '2026-01-01T00:00:00',
      lastUsed: null,
      status,
      graceUntil: '2030-01-06T00:00:00',
      rateLimit: 1000,
    });
    const plan = planImport(
      sources([], [], [key('k1', 'rotation_pending'), key('k2', 'active')]),
      parseFernetKey(deploymentKey),
      NOW,
    );
    expect(plan.apiKeys.map((k) => [k.keyId, k.graceUntil, k.hash, k.legacy])).toEqual([
      ['k1', '2030-01-06T00:00:00.000Z', 'ab'.repeat(32), true],
      ['k2', null, 'ab'.repeat(32), true],
    ]);
  });

  it.each([
    ['an org id orgvault cannot hold', [legacyModule('demo/a', 'Acme Corp')], /org id "Acme Corp"/],
    ['an unknown status', [{ ...legacyModule('demo/a'), status: 'exploded' }], /unknown status "exploded"/],
    [
      'a manifest for another module',
      [{ ...legacyModule('demo/a'), manifestJson: legacyModule('demo/b').manifestJson }],
      /manifest names demo\/b/,
    ],
    ['a version that is not semver', [legacyModule('demo/a', 'default', { version: '1.0' })], /version/],
  ])('refuses %s, naming the row', (_what, modules, message) => {
    expect(() => planImport(sources(modules, []), parseFernetKey(deploymentKey), NOW)).toThrow(message);
  });
});

describe('NEXUS timestamps', () => {
  it.each([
    ['2026-01-05T12:51:51.000000', '2026-01-05T12:51:51.000Z'],
    ['2026-01-05T12:51:51', '2026-01-05T12:51:51.000Z'],
    ['2026-01-05 12:51:51.5', '2026-01-05T12:51:51.500Z'],
    ['2026-01-15T23:40:19.000000+00:00', '2026-01-15T23:40:19.000Z'],
    ['2026-01-15T23:40:19+02:00', '2026-01-15T21:40:19.000Z'],
  ])('%s is %s', (nexus, iso) => {
    expect(nexusTimeToIso(nexus, 'test')).toBe(iso);
  });

  it('refuses what is not a timestamp', () => {
    expect(() => nexusTimeToIso('yesterday', 'modules, row x')).toThrow(/modules, row x: "yesterday"/);
    expect(() => nexusTimeToIso('2026-13-45T00:00:00', 'row')).toThrow(/not a valid date/);
    expect(() => nexusTimeToIso('2026-02-30T00:00:00', 'row')).toThrow(/not a valid date/);
  });
});
