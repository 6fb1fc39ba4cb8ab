import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, type HttpWorld, httpWorld, type TestClock, testClock } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { rawSql } from '../support/raw-sql.js';

const HOUR = 60 * 60 * 1000;

for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] bootstrap stays closed once any key was issued`, () => {
    let world: HttpWorld;
    beforeEach(async () => {
      world = await httpWorld(backend);
    });
    afterEach(async () => world.close());

    const bootstrap = () => call(world.app, 'POST', '/v1/bootstrap');

    it('after the owner revokes the last key, an anonymous bootstrap is 409 (not a new owner key)', async () => {
      const first = await bootstrap();
      expect(first.statusCode).toBe(201);
      const { api_key: owner, key_id: keyId } = first.json() as { api_key: string; key_id: string };
      await world.vault.org().modules.install({ name: 'x', category: 'a', platform: 'b', version: '1.0.0' });
      expect((await call(world.app, 'DELETE', `/v1/api-keys/${keyId}`, { key: owner })).statusCode).toBe(204);
      expect((await call(world.app, 'GET', '/v1/me', { key: owner })).statusCode).toBe(401);
      const again = await bootstrap();
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'CONFLICT' });
      expect(again.body).not.toContain('ovk_');
    });

    it('after every key expired, or its rows went (an org deleted), bootstrap is still 409', async () => {
      const clock = testClock();
      await world.close();
      world = await httpWorld(backend, { clock });
      await world.vault.org().keys.create({ role: 'owner', expiresAt: new Date(clock().getTime() + HOUR) });
      clock.advance(2 * HOUR);
      expect((await bootstrap()).statusCode).toBe(409);
      await rawSql(world.db, 'default', 'DELETE FROM api_keys WHERE org_id = ?', ['default']);
      expect((await bootstrap()).statusCode).toBe(409);
    });

    it('the local CLI path (library) still creates a key for recovery', async () => {
      const { key_id: keyId, api_key: owner } = (await bootstrap()).json() as {
        key_id: string;
        api_key: string;
      };
      await call(world.app, 'DELETE', `/v1/api-keys/${keyId}`, { key: owner });
      const recovered = await world.vault.org().keys.create({ role: 'owner', name: 'recovery' });
      expect((await call(world.app, 'GET', '/v1/me', { key: recovered.apiKey })).statusCode).toBe(200);
    });
  });

  describe(`[${backend.name}] a key cannot create a key that outlives it`, () => {
    let world: HttpWorld;
    let clock: TestClock;
    beforeEach(async () => {
      clock = testClock();
      world = await httpWorld(backend, { clock });
    });
    afterEach(async () => world.close());

    const me = (key: string) => call(world.app, 'GET', '/v1/me', { key });
    const create = (key: string, body: Record<string, unknown>) =>
      call(world.app, 'POST', '/v1/api-keys', { key, body });

    it('an expiring key minting a key without expiry gives it its own expiry; a later one is refused', async () => {
      const end = new Date(clock().getTime() + HOUR).toISOString();
      const parent = await world.vault.org().keys.create({ role: 'admin', expiresAt: end });
      const child = await create(parent.apiKey, { role: 'operator', name: 'child' });
      expect(child.statusCode).toBe(201);
      expect(child.json()).toMatchObject({ expires_at: end });
      const later = await create(parent.apiKey, {
        role: 'operator',
        expires_at: new Date(clock().getTime() + 2 * HOUR).toISOString(),
      });
      expect(later.statusCode).toBe(400);
      expect(later.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      const earlier = await create(parent.apiKey, {
        role: 'operator',
        expires_at: new Date(clock().getTime() + HOUR / 2).toISOString(),
      });
      expect(earlier.statusCode).toBe(201);
      clock.advance(HOUR + 1000);
      expect((await me((child.json() as { api_key: string }).api_key)).statusCode).toBe(401);
    });

    it('a key in its rotation grace mints nothing that works after the grace', async () => {
      const owner = await world.vault.org().keys.create({ role: 'owner' });
      const admin = await world.vault.org().keys.create({ role: 'admin' });
      const rotated = await call(world.app, 'POST', `/v1/api-keys/${admin.keyId}/rotate`, {
        key: owner.apiKey,
        body: { grace_seconds: 60 },
      });
      expect(rotated.statusCode).toBe(201);
      const minted = await create(admin.apiKey, { role: 'admin', name: 'escape' });
      expect(minted.statusCode).toBe(201);
      const successor = (minted.json() as { api_key: string }).api_key;
      expect((await me(successor)).statusCode).toBe(200);
      clock.advance(61_000);
      expect((await me(admin.apiKey)).statusCode).toBe(401);
      expect((await me(successor)).statusCode).toBe(401);
    });

    it('rotating another key never extends it past the rotating key; rotating itself keeps its expiry', async () => {
      const end = new Date(clock().getTime() + HOUR).toISOString();
      const admin = await world.vault.org().keys.create({ role: 'admin', expiresAt: end });
      const viewer = await world.vault.org().keys.create({ role: 'viewer' });
      const other = await call(world.app, 'POST', `/v1/api-keys/${viewer.keyId}/rotate`, {
        key: admin.apiKey,
      });
      expect(other.json()).toMatchObject({ expires_at: end });
      const self = await call(world.app, 'POST', `/v1/api-keys/${admin.keyId}/rotate`, {
        key: admin.apiKey,
        body: { grace_seconds: 0 },
      });
      expect(self.statusCode).toBe(201);
      expect(self.json()).toMatchObject({ expires_at: end });
    });
  });
}
