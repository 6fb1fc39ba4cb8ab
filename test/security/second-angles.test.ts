import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLES, roleAtMost } from '../../src/auth/permissions.js';
import { httpModule } from '../agent/support/fixtures.js';
import { json, ModuleServer } from '../agent/support/module-server.js';
import {
  call,
  type HttpWorld,
  httpWorld,
  type OrgKeys,
  orgWithKeys,
  problemWithoutRequestId,
} from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { copyCredentialRow } from '../support/org-data-keys.js';

/**
 * Second angles on rules that each had one guarding test: the role ceiling on key management, another
 * org's module answered as missing, and the module id in a credential's associated data.
 */
describe('role ceiling: a role grants at most itself', () => {
  it('roleAtMost is the order viewer < operator < admin < owner, pair by pair', () => {
    for (const [i, role] of ROLES.entries()) {
      for (const [j, ceiling] of ROLES.entries()) {
        expect(roleAtMost(role, ceiling), `${role} under ${ceiling}`).toBe(i <= j);
      }
    }
    expect(ROLES).toEqual(['viewer', 'operator', 'admin', 'owner']);
  });
});

const MOD = 'weather/openweather';
const TWIN = 'weather/twin';
const NEVER = 'weather/never-installed';
const SECRET = 'second-angle-secret-51d2';

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] second angles`, () => {
    let world: HttpWorld;
    let provider: ModuleServer;
    let a: OrgKeys;
    let b: OrgKeys;

    beforeEach(async () => {
      provider = await new ModuleServer()
        .route('GET', '/weather', (req, res) => json(res, 200, { headers: req.headers }))
        .start();
      world = await httpWorld(backend, { httpAllowPrivate: true });
      a = await orgWithKeys(world.vault, 'angle-a');
      b = await orgWithKeys(world.vault, 'angle-b');
    });
    afterEach(async () => {
      await world.close();
      await provider.stop();
    });

    it('role ceiling over HTTP: an admin mints up to admin, and a key it minted is capped the same way', async () => {
      const mint = (key: string, role: string) =>
        call(world.app, 'POST', '/v1/api-keys', { key, body: { role, name: `by-${role}` } });
      for (const role of ['viewer', 'operator', 'admin']) {
        const res = await mint(a.keys.admin, role);
        expect(res.statusCode, role).toBe(201);
        expect(res.json().role).toBe(role);
      }
      const minted = (await mint(a.keys.admin, 'admin')).json().api_key as string;
      const keyRoles = async () =>
        (await world.vault.org(a.orgId).keys.list()).map((k) => `${k.keyId}:${k.role}:${k.status}`).sort();
      const keysBefore = await keyRoles();
      const refused = await mint(minted, 'owner');
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect(refused.body).not.toContain('ovk_');
      // Nothing was minted (using the key may move its last_used_at; ids, roles and states stay).
      expect(await keyRoles()).toEqual(keysBefore);
      expect(keysBefore.filter((k) => k.includes(':owner:'))).toHaveLength(1);
      // An owner may mint an owner: the ceiling is the caller's role, not a fixed cap.
      expect((await mint(a.keys.owner, 'owner')).statusCode).toBe(201);
    });

    it("another org's module through the library answers exactly like a module that was never installed", async () => {
      const orgA = world.vault.org(a.orgId);
      const orgB = world.vault.org(b.orgId);
      await orgA.modules.install(manifest(MOD));
      await orgA.credentials.store(MOD, { api_key: SECRET });
      const trailBefore = await auditTrail(world.vault, a.orgId);
      const outcome = async (p: Promise<unknown>) =>
        p.then(
          (value) => ({ value }),
          (e: { code?: string }) => ({ code: e.code }),
        );
      const asks = (id: string) => [
        orgB.modules.get(id),
        orgB.modules.enable(id),
        orgB.modules.disable(id),
        orgB.credentials.retrieve(id),
        orgB.credentials.has(id),
        orgB.credentials.metadata(id),
        orgB.credentials.delete(id),
        orgB.credentials.store(id, { api_key: 'sk-from-b' }),
        orgB.conversations.invoke('c', { moduleId: id, action: 'echo' }),
        orgB.modules.uninstall(id),
      ];
      const onA = await Promise.all(asks(MOD).map(outcome));
      const onNever = await Promise.all(asks(NEVER).map(outcome));
      expect(onA).toEqual(onNever);
      expect(onA[0]).toEqual({ value: null });
      expect(onA[7]).toEqual({ code: 'NOT_FOUND' });
      // A's module, credentials and trail are exactly as they were.
      expect((await orgA.modules.get(MOD))?.status).toBe('installed');
      expect(await orgA.credentials.retrieve(MOD)).toEqual({ api_key: SECRET });
      expect(await auditTrail(world.vault, a.orgId)).toEqual(trailBefore);
      expect(await orgB.modules.list()).toEqual([]);
    });

    it("another org's module invoked over HTTP is a 404 like a missing module, and nothing is called", async () => {
      await world.vault.org(a.orgId).modules.install(httpModule(MOD, provider.url()));
      await world.vault.org(a.orgId).credentials.store(MOD, { api_key: SECRET });
      const invoke = (id: string) =>
        call(world.app, 'POST', '/v1/conversations/trip/invoke', {
          key: b.keys.owner,
          body: { module_id: id, action: 'current', input: { q: 'Oslo' } },
        });
      const onA = await invoke(MOD);
      const onNever = await invoke(NEVER);
      expect(onA.statusCode).toBe(404);
      expect(onNever.statusCode).toBe(404);
      const normalized = (body: Record<string, unknown>, id: string) =>
        JSON.parse(JSON.stringify(body).replaceAll(id, '<id>'));
      expect(normalized(problemWithoutRequestId(onA), MOD)).toEqual(
        normalized(problemWithoutRequestId(onNever), NEVER),
      );
      expect(onA.body).not.toContain(SECRET);
      expect(provider.seen).toHaveLength(0);
      const mod = await world.vault.org(a.orgId).modules.get(MOD);
      expect([mod?.successCount, mod?.failureCount, mod?.lastUsedAt]).toEqual([0, 0, null]);
    });

    it('a credential copied to a module with the same destination in the same org fails, and sends nothing', async () => {
      // Both modules point at the same server with the same auth: only the module id tells them apart.
      const orgA = world.vault.org(a.orgId);
      await orgA.modules.install(httpModule(MOD, provider.url()));
      await orgA.modules.install(httpModule(TWIN, provider.url()));
      await orgA.credentials.store(MOD, { api_key: SECRET });
      await orgA.credentials.store(TWIN, { api_key: 'twin-own-secret' });
      await copyCredentialRow(
        world.db,
        { orgId: a.orgId, moduleId: MOD },
        { orgId: a.orgId, moduleId: TWIN },
      );
      const res = await call(world.app, 'POST', '/v1/conversations/trip/invoke', {
        key: a.keys.operator,
        body: { module_id: TWIN, action: 'current', input: { q: 'Oslo' } },
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain(SECRET);
      expect(provider.seen.filter((r) => JSON.stringify(r).includes(SECRET))).toHaveLength(0);
      await expect(orgA.credentials.retrieve(TWIN)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
      // The original still works, and reaches its own destination.
      const ok = await call(world.app, 'POST', '/v1/conversations/trip/invoke', {
        key: a.keys.operator,
        body: { module_id: MOD, action: 'current', input: { q: 'Oslo' } },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(provider.seen.filter((r) => JSON.stringify(r).includes(SECRET))).toHaveLength(1);
    });
  });
}
