import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { auditTrail } from '../support/audit-trail.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { CONSOLE_CASES } from './console-cases.js';
import { consoleRequest, signIn } from './support.js';

const backends = await selectedBackends();
const A_MODULE = 'weather/openweather';
const NEVER = 'weather/never-installed';
/** What B's forms send (B's own org is left empty: its prepare() would install A's module id in B). */
const FORMS: Record<string, Record<string, string>> = {
  '/console/modules/:category/:platform/credentials': { field_api_key: 'sk-from-b' },
  '/console/keys/:key_id/rotate': { grace_seconds: '0' },
};

/** The page without what differs per request (CSRF tokens, ids), for comparing two answers. */
function normalized(res: LightMyRequestResponse, id: string): string {
  return res.body.replace(/name="_csrf" value="[^"]+"/g, '').replaceAll(id, '<id>');
}

/**
 * Another org's module or key id typed into a console URL by org B's owner: the same "not found"
 * page as an id that exists nowhere, and A's object untouched.
 */
describe.each(backends.map((b) => [b.name, b] as const))('console BOLA on %s', (_name, backend) => {
  let world: HttpWorld;
  beforeAll(async () => {
    world = await httpWorld(backend);
  });
  afterAll(async () => world.close());

  for (const c of CONSOLE_CASES.filter((x) => x.object !== undefined)) {
    it(`${c.method} ${c.route}: A's ${c.object} answers B like a missing one`, async () => {
      const a = await orgWithKeys(world.vault, 'cbola-a');
      const b = await orgWithKeys(world.vault, 'cbola-b');
      await world.vault.org(a.orgId).modules.install(manifest(A_MODULE));
      await world.vault.org(a.orgId).credentials.store(A_MODULE, { api_key: 'sk-a-secret' });
      const aKey = await world.vault.org(a.orgId).keys.create({ role: 'viewer', name: 'a-target' });
      const form = FORMS[c.route];
      const { client } = await signIn(world.app, b.keys.owner);
      const auditBefore = await auditTrail(world.vault, a.orgId);
      const keysBefore = await world.vault.org(a.orgId).keys.list();
      const pathFor = (id: string) => c.route.replace(':category/:platform', id).replace(':key_id', id);
      const [onA, onMissing] =
        c.object === 'module'
          ? [pathFor(A_MODULE), pathFor(NEVER)]
          : [pathFor(aKey.keyId), pathFor('kzzzzzzzzzzzzzzzzzzzzzzzz')];
      const resA = await consoleRequest(world.app, client, c.method, onA, form);
      const resMissing = await consoleRequest(world.app, client, c.method, onMissing, form);
      expect(resA.statusCode, resA.body.slice(0, 300)).toBe(404);
      expect(resMissing.statusCode).toBe(404);
      const idA = c.object === 'module' ? A_MODULE : aKey.keyId;
      const idMissing = c.object === 'module' ? NEVER : 'kzzzzzzzzzzzzzzzzzzzzzzzz';
      expect(normalized(resA, idA)).toEqual(normalized(resMissing, idMissing));
      expect(resA.body).not.toContain('sk-a-secret');
      // A's side is untouched: module, credentials, keys and audit trail as they were.
      expect((await world.vault.org(a.orgId).modules.get(A_MODULE))?.status).toBe('installed');
      expect(await world.vault.org(a.orgId).credentials.retrieve(A_MODULE)).toEqual({
        api_key: 'sk-a-secret',
      });
      expect(await world.vault.org(a.orgId).keys.list()).toEqual(keysBefore);
      expect(await auditTrail(world.vault, a.orgId)).toEqual(auditBefore);
    });
  }
});
