import { afterEach, describe, expect, it } from 'vitest';
import { selectedBackends } from '../support/backends.js';
import { call, type HttpWorld, httpWorld, orgWithKeys } from './support.js';

const backends = await selectedBackends();

/** A cursor past the 32-bit seq PostgreSQL stores is the caller's mistake: a 400 on both engines. */
describe.each(backends.map((b) => [b.name, b] as const))(
  'audit export cursor bounds on %s',
  (_name, backend) => {
    let world: HttpWorld;
    afterEach(async () => world.close());

    it('GET /v1/audit/export?after=2147483648 is 400 VALIDATION_FAILED naming after; the largest seq is fine', async () => {
      world = await httpWorld(backend);
      const org = await orgWithKeys(world.vault, 'export-bounds');
      const over = await call(world.app, 'GET', '/v1/audit/export?after=2147483648', { key: org.keys.admin });
      expect(over.statusCode).toBe(400);
      expect(over.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(over.json().detail).toContain('after');
      const max = await call(world.app, 'GET', '/v1/audit/export?after=2147483647', { key: org.keys.admin });
      expect(max.statusCode).toBe(200);
      expect(max.body).toBe('');
    });
  },
);
