import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/modules/manifest.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { type HttpWorld, httpWorld, orgWithKeys } from './support.js';

const M = 'weather/openweather';
const json = { 'content-type': 'application/json' };

/** Manifests carrying a control character somewhere, with the field the refusal must name. */
const CONTROLLED: Array<[string, Record<string, unknown>, string]> = [
  ['U+0000 in name', manifest(M, { name: 'open\u0000weather' }), 'name'],
  ['U+0000 in description', manifest(M, { description: 'a\u0000b' }), 'description'],
  ['U+001B (escape) in display_name', manifest(M, { display_name: '\u001b[31mred' }), 'display_name'],
  ['U+007F in icon', manifest(M, { icon: 'x\u007f' }), 'icon'],
  ['a tab in description', manifest(M, { description: 'one\ttwo' }), 'description'],
  ['a newline in description', manifest(M, { description: 'one\ntwo' }), 'description'],
  [
    'U+0000 deep in an unknown field',
    manifest(M, { extra: { list: [{ deep: 'x\u0000' }] } }),
    'extra.list.0.deep',
  ],
  ['U+0000 in an unknown key', manifest(M, { extra: { 'k\u0000': 1 } }), 'extra (a key)'],
  ['U+0001 in a top-level key', manifest(M, { 'bad\u0001key': 1 }), '(root) (a key)'],
  [
    'U+0000 in a credential field description',
    manifest(M, { credential_fields: [{ name: 'api_key', description: 'k\u0000' }] }),
    'credential_fields.0.description',
  ],
];

describe.each((await selectedBackends()).map((b) => [b.name, b] as const))(
  'inputs bound to what both engines store (%s)',
  (_name, backend) => {
    let world: HttpWorld;
    let owner: string;
    let orgId: string;
    beforeAll(async () => {
      world = await httpWorld(backend);
      const org = await orgWithKeys(world.vault, 'bounds');
      owner = org.keys.owner;
      orgId = org.orgId;
    });
    afterAll(async () => world.close());

    const get = (url: string) => world.app.inject({ method: 'GET', url, headers: { 'x-api-key': owner } });

    it('GET /v1/audit?before=2147483648 (past a 32-bit seq) is 400 VALIDATION_FAILED naming before', async () => {
      for (const before of ['2147483648', '9999999999', '99999999999', '1000000000000000']) {
        const res = await get(`/v1/audit?before=${before}`);
        expect(res.statusCode, `${before}: ${res.body}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(res.json().detail).toContain('before');
      }
    });

    it('the largest seq both engines store is still a valid cursor', async () => {
      const res = await get('/v1/audit?before=2147483647&limit=500');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().events.length).toBeGreaterThan(0);
    });

    it('the library refuses an out-of-range cursor too', async () => {
      await expect(world.vault.org(orgId).audit.list({ limit: 10, before: 2 ** 31 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'before' },
      });
      await expect(world.vault.org(orgId).audit.list({ limit: Number.NaN })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'limit' },
      });
    });

    it.each(CONTROLLED)(
      'a manifest with %s is 400 VALIDATION_FAILED naming the field, and nothing is stored',
      async (_what, body, field) => {
        const res = await world.app.inject({
          method: 'PUT',
          url: `/v1/modules/${M}`,
          headers: { 'x-api-key': owner, ...json },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(res.json().detail).toContain(`${field}: control characters`);
        expect(await world.vault.org(orgId).modules.get(M)).toBeNull();
        await expect(world.vault.org(orgId).modules.install(body)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          details: { field },
        });
      },
    );

    it('an org name or plan with U+0000 is refused by the library on both engines', async () => {
      await expect(world.vault.system.createOrg('nul-name', { name: 'A\u0000B' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'name' },
      });
      await expect(world.vault.system.createOrg('nul-plan', { plan: 'pro\u0000' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'plan' },
      });
      expect((await world.vault.system.listOrgs()).map((o) => o.orgId)).not.toContain('nul-name');
    });

    it('an API key name with U+0000 is 400, not 5xx', async () => {
      const res = await world.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: { 'x-api-key': owner, ...json },
        payload: JSON.stringify({ role: 'viewer', name: 'a\u0000b' }),
      });
      expect(res.statusCode, res.body).toBe(400);
    });

    it('invoke input and results with U+0000 in values and keys pass through untouched (json columns take them)', async () => {
      await world.vault.org(orgId).modules.install(manifest('demo/echo'));
      const input = { 'k\u0000': 'v\u0000', nested: [{ s: '\u0000\u0001' }] };
      const res = await world.app.inject({
        method: 'POST',
        url: '/v1/conversations/nul-conv/invoke',
        headers: { 'x-api-key': owner, ...json },
        payload: JSON.stringify({ module_id: 'demo/echo', action: 'echo', input }),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().result.input).toEqual(input);
      const state = await get('/v1/conversations/nul-conv');
      expect(state.statusCode, state.body).toBe(200);
      expect(state.json().state.tool_results[0].output.input).toEqual(input);
    });
  },
);

describe('parseManifest (library and CLI) refuses control characters', () => {
  it.each(CONTROLLED)('%s', (_what, body, field) => {
    expect(() => parseManifest(body)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field } }),
    );
  });

  it('printable unicode (accents, emoji, right-to-left marks) is kept as it is', () => {
    const m = parseManifest(manifest(M, { description: 'Météo 🌦 \u202e', extra: { ключ: 'значение' } }));
    expect(m.description).toBe('Météo 🌦 \u202e');
    expect(m.extra).toEqual({ ключ: 'значение' });
  });
});
