import { afterEach, describe, expect, it } from 'vitest';
import { selectedBackends } from '../support/backends.js';
import { type HttpWorld, httpWorld } from './support.js';

const backends = await selectedBackends();

describe.each(backends.map((b) => [b.name, b] as const))(
  'messages of the HTTP API on %s',
  (_name, backend) => {
    let world: HttpWorld | undefined;
    afterEach(async () => {
      await world?.close();
      world = undefined;
    });

    it('a text/plain body is refused naming the content type to send, and changes nothing', async () => {
      world = await httpWorld(backend);
      const owner = (await world.vault.org().keys.create({ role: 'owner' })).apiKey;
      const res = await world.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: { 'x-api-key': owner, 'content-type': 'text/plain' },
        payload: '{"role":"viewer"}',
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toMatch(/send application\/json/);
      expect(await world.vault.org().keys.list()).toHaveLength(1);
    });

    it.each(['0', '9999', '501', '-1', 'ten', '1.5'])(
      'GET /v1/audit?limit=%s is 400 naming limit',
      async (limit) => {
        world = await httpWorld(backend);
        const owner = (await world.vault.org().keys.create({ role: 'owner' })).apiKey;
        const res = await world.app.inject({
          url: `/v1/audit?limit=${limit}`,
          headers: { 'x-api-key': owner },
        });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(res.json().detail).toMatch(/limit/);
      },
    );

    it.each(['1', '500'])(
      'GET /v1/audit?limit=%s, the ends of the documented range, is answered',
      async (limit) => {
        world = await httpWorld(backend);
        const owner = (await world.vault.org().keys.create({ role: 'owner' })).apiKey;
        const res = await world.app.inject({
          url: `/v1/audit?limit=${limit}`,
          headers: { 'x-api-key': owner },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json().events.length).toBeLessThanOrEqual(Number(limit));
        expect(res.json().events.length).toBeGreaterThan(0);
      },
    );
  },
);
