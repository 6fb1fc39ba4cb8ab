import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, type OrgKeys, orgWithKeys } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest, WEATHER } from '../support/manifests.js';

const N = 8;

/**
 * Concurrent installs of one module id in one org: the upsert reports "created" to exactly one of
 * them (SQLite learns it from a select before the upsert, PostgreSQL from the upsert itself), and
 * the row left is the one of the install that committed last.
 */
describe.each(await selectedBackends())('concurrent installs of one module id ($name)', (backend) => {
  let world: HttpWorld;
  let org: OrgKeys;

  beforeEach(async () => {
    world = await httpWorld(backend);
    org = await orgWithKeys(world.vault, 'race');
  });
  afterEach(async () => world.close());

  const versions = Array.from({ length: N }, (_, i) => `1.${i}.0`);

  it(`${N} PUTs at once: one 201, the others 200, one row, audited once each`, async () => {
    const answers = await Promise.all(
      versions.map((version) =>
        call(world.app, 'PUT', `/v1/modules/${WEATHER}`, {
          key: org.keys.operator,
          body: manifest(WEATHER, { version }),
        }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort((a, b) => a - b);
    expect(statuses).toEqual([...Array(N - 1).fill(200), 201]);

    const installs = (await auditTrail(world.vault, org.orgId)).filter((e) => e.action === 'module.install');
    expect(installs).toHaveLength(N);
    expect(installs.filter((e) => e.details.result === 'created')).toHaveLength(1);
    // The creating install committed first; the row holds what the last one wrote.
    const [newest] = installs;
    expect(installs.at(-1)?.details.result).toBe('created');
    const created = answers.find((r) => r.statusCode === 201);
    expect(created?.json().version).toBe(installs.at(-1)?.details.version);

    const modules = await world.vault.org(org.orgId).modules.list();
    expect(modules.map((m) => [m.moduleId, m.status])).toEqual([[WEATHER, 'installed']]);
    expect(modules[0]?.version).toBe(newest?.details.version);
    expect(modules[0]?.manifest.version).toBe(newest?.details.version);
    expect((await world.vault.system.verifyAuditChain(org.orgId)).ok).toBe(true);
  });

  it(`${N} library installs at once: one row, one "created" in the trail`, async () => {
    const acme = world.vault.org(org.orgId);
    const records = await Promise.all(
      versions.map((version) => acme.modules.install(manifest(WEATHER, { version }))),
    );
    expect(new Set(records.map((r) => r.installedAt)).size).toBe(1);
    const installs = (await auditTrail(world.vault, org.orgId)).filter((e) => e.action === 'module.install');
    expect(installs.map((e) => e.details.result).sort()).toEqual([
      'created',
      ...Array(N - 1).fill('replaced'),
    ]);
    const got = await acme.modules.get(WEATHER);
    expect(got?.version).toBe(installs[0]?.details.version);
    expect(await acme.modules.list()).toHaveLength(1);
  });
});
