import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpRequest } from '../../src/agent/http/build-request.js';
import { type HttpSpec, parseManifest } from '../../src/modules/manifest.js';
import type { Vault } from '../../src/vault.js';
import { freshVault, selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';

/** Names every plain object inherits from Object.prototype (all valid credential field names). */
const INHERITED = [
  'constructor',
  'toString',
  'toLocaleString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
] as const;

const MOD = 'crm/inherited';
/** Ordinary field names that never collide with an inherited one. */
const plainName = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).map((s) => `f_${s}`);
const value = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.integer(), fc.boolean());

/** Credentials as a JSON body would carry them: own fields only, __proto__ included. */
const asJson = (fields: Record<string, unknown>): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fields));

describe.each(await selectedBackends())(
  'required credential fields named like Object.prototype members ($name)',
  (backend) => {
    let vault: Vault;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ vault, close } = await freshVault(backend));
    });
    afterAll(async () => close());

    it('storing credentials without such a required field is refused; with it, it is stored as an own field', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.subarray([...INHERITED], { minLength: 1 }),
          fc.uniqueArray(plainName, { minLength: 1, maxLength: 3 }),
          value,
          async (required, others, v) => {
            const org = vault.org();
            const fields = [...required, ...others].map((name) => ({ name, required: true }));
            await org.modules.install(manifest(MOD, { credential_fields: fields }));
            const withOthersOnly = Object.fromEntries(others.map((n) => [n, v]));

            await expect(org.credentials.store(MOD, withOthersOnly)).rejects.toMatchObject({
              code: 'VALIDATION_FAILED',
              details: { field: `credentials.${required[0]}` },
            });
            expect(await org.credentials.has(MOD)).toBe(false);

            const complete = asJson(
              Object.fromEntries([...required, ...others].map((n) => [n, v] as [string, unknown])),
            );
            // JSON.stringify drops nothing; own fields survive the round trip.
            await org.credentials.store(MOD, complete as Record<string, string>);
            const back = await org.credentials.retrieve(MOD);
            expect(back).not.toBeNull();
            for (const name of [...required, ...others]) {
              expect(Object.hasOwn(back as object, name), name).toBe(true);
              expect((back as Record<string, unknown>)[name]).toEqual(v);
            }
            expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
            await org.credentials.delete(MOD);
          },
        ),
        { numRuns: 25, seed: 20260601 },
      );
    });
  },
);

describe('an HTTP module whose auth names an inherited field', () => {
  it.each(INHERITED)('%s: absent from the stored credentials, so nothing is injected', (name) => {
    const m = parseManifest({
      ...manifest(MOD),
      http: {
        base_url: 'https://api.example.com',
        auth: { in: 'header', name: 'x-key', credential: name },
        actions: { get: { method: 'GET', path: '/items/{id}', query: ['q'] } },
      },
    });
    const spec = m.http as HttpSpec;
    expect(() => buildHttpRequest(MOD, spec, 'get', { id: '1' }, { api_key: 'sk-real-secret' })).toThrow(
      expect.objectContaining({ code: 'MODULE_NOT_EXECUTABLE' }),
    );
  });

  it.each(INHERITED)('action %s that the manifest does not declare is not found', (name) => {
    const spec = parseManifest({
      ...manifest(MOD),
      http: { base_url: 'https://api.example.com', actions: { get: { method: 'GET', path: '/x' } } },
    }).http as HttpSpec;
    expect(() => buildHttpRequest(MOD, spec, name, {}, null)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
