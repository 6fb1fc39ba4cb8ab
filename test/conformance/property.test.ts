import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { assertAsyncProperty } from '../support/property-runs.js';

/**
 * Random sequences of operations over 3 orgs and a handful of module ids, checked after every
 * step against a plain in-memory model keyed by (org, module). Any cross-org leak, lost write or
 * wrong "changed" answer shows up as a difference from the model.
 */
const ORGS = ['default', 'acme', 'globex'] as const;
const MODULES = ['weather/openweather', 'calendar/google', 'search/serp', 'crm/hubspot'] as const;

type Op =
  | { kind: 'install'; org: number; mod: number; version: number }
  | { kind: 'enable' | 'disable' | 'uninstall' | 'deleteCredentials' | 'retrieve'; org: number; mod: number }
  | { kind: 'store'; org: number; mod: number; secret: string };

interface ModelRow {
  status: 'installed' | 'disabled';
  version: string;
  credentials: Record<string, string> | null;
}

const target = { org: fc.nat({ max: ORGS.length - 1 }), mod: fc.nat({ max: MODULES.length - 1 }) };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('install' as const), ...target, version: fc.nat({ max: 3 }) }),
  fc.record({
    kind: fc.constantFrom(
      'enable' as const,
      'disable' as const,
      'uninstall' as const,
      'deleteCredentials' as const,
    ),
    ...target,
  }),
  fc.record({ kind: fc.constant('retrieve' as const), ...target }),
  fc.record({
    kind: fc.constant('store' as const),
    ...target,
    secret: fc.string({ minLength: 1, maxLength: 24 }),
  }),
);

async function apply(vault: Vault, model: Map<string, ModelRow>, op: Op): Promise<void> {
  const orgId = ORGS[op.org] as string;
  const moduleId = MODULES[op.mod] as string;
  const key = `${orgId} ${moduleId}`;
  const row = model.get(key);
  const org = vault.org(orgId);
  switch (op.kind) {
    case 'install': {
      const version = `1.${op.version}.0`;
      const m = await org.modules.install(manifest(moduleId, { version }));
      const next: ModelRow = {
        status: row?.status ?? 'installed',
        version,
        credentials: row?.credentials ?? null,
      };
      model.set(key, next);
      expect([m.orgId, m.moduleId, m.version, m.status]).toEqual([orgId, moduleId, version, next.status]);
      return;
    }
    case 'enable':
    case 'disable': {
      const wanted = op.kind === 'enable' ? 'installed' : 'disabled';
      const changed = await org.modules[op.kind](moduleId);
      expect(changed).toBe(row !== undefined && row.status !== wanted);
      if (row) row.status = wanted;
      return;
    }
    case 'uninstall':
      expect(await org.modules.uninstall(moduleId)).toBe(row !== undefined);
      model.delete(key);
      return;
    case 'store': {
      const values = { api_key: op.secret, owner: orgId };
      if (row === undefined) {
        await expect(org.credentials.store(moduleId, values)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      } else {
        await org.credentials.store(moduleId, values);
        row.credentials = values;
      }
      return;
    }
    case 'deleteCredentials':
      expect(await org.credentials.delete(moduleId)).toBe(row?.credentials != null);
      if (row) row.credentials = null;
      return;
    case 'retrieve':
      expect(await org.credentials.retrieve(moduleId)).toEqual(row?.credentials ?? null);
      return;
  }
}

async function checkAgainstModel(vault: Vault, model: Map<string, ModelRow>): Promise<void> {
  for (const orgId of ORGS) {
    const org = vault.org(orgId);
    const expected = MODULES.filter((m) => model.has(`${orgId} ${m}`))
      .map((m) => {
        const row = model.get(`${orgId} ${m}`) as ModelRow;
        return { moduleId: m, status: row.status, version: row.version };
      })
      .sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    const actual = (await org.modules.list())
      .map((m) => ({ moduleId: m.moduleId, status: m.status, version: m.version }))
      .sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    expect(actual).toEqual(expected);
    const withCredentials = MODULES.filter((m) => model.get(`${orgId} ${m}`)?.credentials).sort();
    expect(await org.credentials.listModuleIds()).toEqual(withCredentials);
    for (const m of withCredentials) {
      expect(await org.credentials.retrieve(m)).toEqual(model.get(`${orgId} ${m}`)?.credentials);
    }
  }
}

describe.each(await selectedBackends())('registry and credentials against a model ($name)', (backend) => {
  it('agrees with the model after every step (200 runs)', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { vault, close } = await freshVault(backend);
        try {
          await vault.system.createOrg('acme');
          await vault.system.createOrg('globex');
          const model = new Map<string, ModelRow>();
          for (const op of ops) {
            await apply(vault, model, op);
            await checkAgainstModel(vault, model);
          }
        } finally {
          await close();
        }
      }),
      { numRuns: 200 },
    );
  }, 300_000);
});
