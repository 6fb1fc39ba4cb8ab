import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/vault.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { type HttpWorld, httpWorld, orgWithKeys } from './support.js';

const backends = await selectedBackends();

interface Bad {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  body?: string;
  contentType?: string;
  /** Presented instead of the owner key. */
  key?: string;
}

const M = '/v1/modules/weather/openweather';
const json = 'application/json';
const long = 'x'.repeat(5000);

/** Client mistakes of every kind; each must be a 4xx problem and change nothing. */
const BAD: Bad[] = [
  { name: 'malformed JSON', method: 'PUT', url: M, body: '{"name":', contentType: json },
  { name: 'JSON with trailing garbage', method: 'PUT', url: M, body: '{"name":"x"}}}', contentType: json },
  { name: 'text/plain body', method: 'PUT', url: M, body: 'hello', contentType: 'text/plain' },
  { name: 'form body', method: 'PUT', url: M, body: 'a=b', contentType: 'application/x-www-form-urlencoded' },
  { name: 'unknown content type', method: 'PUT', url: M, body: '<x/>', contentType: 'application/xml' },
  { name: 'array body', method: 'PUT', url: M, body: '[1,2]', contentType: json },
  { name: 'null body', method: 'PUT', url: M, body: 'null', contentType: json },
  { name: 'missing fields', method: 'PUT', url: M, body: '{"name":"x"}', contentType: json },
  {
    name: 'wrong types',
    method: 'PUT',
    url: M,
    body: '{"name":1,"category":"weather","platform":"openweather","version":1}',
    contentType: json,
  },
  {
    name: 'path and manifest disagree',
    method: 'PUT',
    url: M,
    body: JSON.stringify(manifest('calendar/google')),
    contentType: json,
  },
  {
    name: 'bad semver',
    method: 'PUT',
    url: M,
    body: JSON.stringify(manifest('weather/openweather', { version: 'latest' })),
    contentType: json,
  },
  {
    name: 'huge string in a field',
    method: 'PUT',
    url: M,
    body: JSON.stringify(manifest('weather/openweather', { name: 'n'.repeat(60_000) })),
    contentType: json,
  },
  {
    name: 'oversized body (413)',
    method: 'PUT',
    url: M,
    body: JSON.stringify(manifest('weather/openweather', { pad: 'p'.repeat(100_000) })),
    contentType: json,
  },
  {
    name: 'deeply nested JSON',
    method: 'PUT',
    url: M,
    body: `{"name":"x","category":"weather","platform":"openweather","version":"1.0.0","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    contentType: json,
  },
  {
    name: 'deeply nested credentials',
    method: 'PUT',
    url: `${M}/credentials`,
    body: `{"credentials":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    contentType: json,
  },
  {
    name: 'prototype pollution',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":{"__proto__":{"admin":true}}}',
    contentType: json,
  },
  {
    name: 'credentials not an object',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":"x"}',
    contentType: json,
  },
  {
    name: 'credentials empty',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":{}}',
    contentType: json,
  },
  {
    name: 'credentials nested value',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":{"api_key":{"deep":1}}}',
    contentType: json,
  },
  {
    name: 'credentials bad field name',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":{"bad name; DROP TABLE credentials":"v"}}',
    contentType: json,
  },
  {
    name: 'credentials extra top-level field',
    method: 'PUT',
    url: `${M}/credentials`,
    body: '{"credentials":{"api_key":"v"},"org_id":"other"}',
    contentType: json,
  },
  { name: 'credentials without body', method: 'PUT', url: `${M}/credentials` },
  { name: 'path traversal', method: 'GET', url: '/v1/modules/../x' },
  { name: 'encoded traversal', method: 'GET', url: '/v1/modules/..%2F..%2Fetc/passwd' },
  { name: 'three segments', method: 'GET', url: '/v1/modules/a/b/c' },
  { name: 'NUL in id', method: 'GET', url: '/v1/modules/%00/x' },
  { name: 'NUL in delete', method: 'DELETE', url: '/v1/modules/weather/openweather%00' },
  {
    name: 'unicode id',
    method: 'PUT',
    url: '/v1/modules/w%C3%A9ather/%F0%9F%94%A5',
    body: '{}',
    contentType: json,
  },
  { name: 'SQL in id', method: 'DELETE', url: "/v1/modules/weather/x'%20OR%20'1'='1" },
  { name: 'broken percent-encoding', method: 'GET', url: '/v1/modules/%E0%A4%A/x' },
  { name: 'very long id', method: 'GET', url: `/v1/modules/${'a'.repeat(300)}/b` },
  { name: 'upper case id', method: 'DELETE', url: '/v1/modules/Weather/OpenWeather' },
  { name: 'SQL in query', method: 'GET', url: "/v1/modules?category=x';DROP%20TABLE%20modules;--" },
  { name: 'unknown status filter', method: 'GET', url: '/v1/modules?status=bogus' },
  { name: 'unknown query parameter', method: 'GET', url: '/v1/modules?limit=1' },
  { name: 'unknown role', method: 'POST', url: '/v1/api-keys', body: '{"role":"god"}', contentType: json },
  {
    name: 'role of wrong type',
    method: 'POST',
    url: '/v1/api-keys',
    body: '{"role":["owner"]}',
    contentType: json,
  },
  { name: 'no role', method: 'POST', url: '/v1/api-keys', body: '{}', contentType: json },
  {
    name: 'name too long',
    method: 'POST',
    url: '/v1/api-keys',
    body: `{"role":"viewer","name":"${long}"}`,
    contentType: json,
  },
  {
    name: 'name with control characters',
    method: 'POST',
    url: '/v1/api-keys',
    body: '{"role":"viewer","name":"a\\u0000b"}',
    contentType: json,
  },
  {
    name: 'expires_at not a time',
    method: 'POST',
    url: '/v1/api-keys',
    body: '{"role":"viewer","expires_at":"yesterday"}',
    contentType: json,
  },
  {
    name: 'expires_at in the past',
    method: 'POST',
    url: '/v1/api-keys',
    body: '{"role":"viewer","expires_at":"2001-01-01T00:00:00Z"}',
    contentType: json,
  },
  {
    name: 'negative grace',
    method: 'POST',
    url: '/v1/api-keys/0123456789abcdef/rotate',
    body: '{"grace_seconds":-1}',
    contentType: json,
  },
  {
    name: 'grace as string',
    method: 'POST',
    url: '/v1/api-keys/0123456789abcdef/rotate',
    body: '{"grace_seconds":"10"}',
    contentType: json,
  },
  { name: 'garbage key id', method: 'DELETE', url: '/v1/api-keys/..%2F..%2Fx' },
  { name: 'unicode key id', method: 'DELETE', url: '/v1/api-keys/%E2%9C%93' },
  { name: 'audit limit not a number', method: 'GET', url: '/v1/audit?limit=abc' },
  { name: 'audit limit negative', method: 'GET', url: '/v1/audit?limit=-1' },
  { name: 'audit before garbage', method: 'GET', url: '/v1/audit?before=1%20OR%201=1' },
  { name: 'unknown method', method: 'PATCH', url: M, body: '{}', contentType: json },
  { name: 'unknown route', method: 'GET', url: '/v2/everything' },
  { name: 'garbage key', method: 'GET', url: '/v1/modules', key: 'ovk_zzzz_' },
  { name: 'SQL as key', method: 'DELETE', url: M, key: "ovk_0123456789abcdef_'OR'1'='1" },
  { name: 'very long key', method: 'DELETE', url: M, key: `ovk_${'f'.repeat(16)}_${long}` },
  { name: 'key of prefix only', method: 'GET', url: '/v1/modules', key: 'ovk_' },
  { name: 'legacy-looking garbage', method: 'DELETE', url: M, key: '%00%00' },
];

async function snapshot(vault: Vault, orgId: string) {
  const org = vault.org(orgId);
  const keys = (await org.keys.list()).map(({ lastUsedAt: _l, ...k }) => k);
  const creds: Record<string, unknown> = {};
  for (const id of await org.credentials.listModuleIds()) creds[id] = await org.credentials.retrieve(id);
  return {
    modules: await org.modules.list(),
    creds,
    keys,
    audit: (await vault.org(orgId).audit.list({ limit: 1000 })).length,
    defaultAudit: (await vault.org('default').audit.list({ limit: 1000 })).length,
    orgs: (await vault.system.listOrgs()).length,
  };
}

describe.each(backends.map((b) => [b.name, b] as const))('bad input on %s', (_name, backend) => {
  let world: HttpWorld;
  let orgId: string;
  let ownerKey: string;
  beforeAll(async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'bad');
    orgId = org.orgId;
    ownerKey = org.keys.owner;
    await world.vault.org(orgId).modules.install(manifest('weather/openweather'));
    await world.vault.org(orgId).credentials.store('weather/openweather', { api_key: 'sk-keep-me' });
  });
  afterAll(async () => world.close());

  for (const bad of BAD) {
    it(`${bad.name}: 4xx problem+json, nothing changed`, async () => {
      const before = await snapshot(world.vault, orgId);
      const headers: Record<string, string> = { 'x-api-key': bad.key ?? ownerKey };
      if (bad.contentType) headers['content-type'] = bad.contentType;
      const res = await world.app.inject({
        method: bad.method,
        url: bad.url,
        headers,
        ...(bad.body !== undefined ? { payload: bad.body } : {}),
      });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body).toMatchObject({ status: res.statusCode });
      expect(typeof body.code).toBe('string');
      expect(body.request_id).toBe(res.headers['x-request-id']);
      expect(res.body).not.toContain('sk-keep-me');
      expect(res.body).not.toMatch(/at .+\.ts:\d+/); // no stack traces
      expect(await snapshot(world.vault, orgId)).toEqual(before);
    });
  }

  it('the payload limit answers 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await world.app.inject({
      method: 'PUT',
      url: M,
      headers: { 'x-api-key': ownerKey, 'content-type': json },
      payload: JSON.stringify({ pad: 'p'.repeat(70 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it("x-request-id is always the server's own; a plain client id is echoed as x-client-request-id, an odd one dropped", async () => {
    const plain = await world.app.inject({ url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(plain.headers['x-request-id']).not.toBe('trace-123');
    expect(plain.headers['x-client-request-id']).toBe('trace-123');
    const odd = await world.app.inject({ url: '/health', headers: { 'x-request-id': 'a b <script>' } });
    expect(odd.headers['x-request-id']).not.toBe('a b <script>');
    expect(odd.headers['x-client-request-id']).toBeUndefined();
  });
});
