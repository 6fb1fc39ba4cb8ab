import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { selectedBackends } from '../support/backends.js';
import { call, type HttpWorld, httpWorld } from './support.js';

const backends = await selectedBackends();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORGED = 'forged-id-123';

/** Finding 8: the request id in replies and audit rows is the server's own, never the client's. */
describe.each(backends.map((b) => [b.name, b] as const))('request ids on %s', (_name, backend) => {
  let world: HttpWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('two requests with the same X-Request-Id produce audit events with distinct request_ids, neither the forged one', async () => {
    world = await httpWorld(backend);
    const owner = await world.vault.org().keys.create({ role: 'owner' });
    const headers = { 'x-request-id': FORGED };
    const a = await call(world.app, 'POST', '/v1/api-keys', {
      key: owner.apiKey,
      headers,
      body: { role: 'viewer' },
    });
    const b = await call(world.app, 'POST', '/v1/api-keys', {
      key: owner.apiKey,
      headers,
      body: { role: 'viewer' },
    });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    for (const res of [a, b]) {
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.headers['x-client-request-id']).toBe(FORGED);
    }
    const audit = await call(world.app, 'GET', '/v1/audit?limit=50', { key: owner.apiKey });
    const created = (
      audit.json().events as Array<{ action: string; target_id: string; request_id: string }>
    ).filter(
      (e) => e.action === 'api_key.create' && [a.json().key_id, b.json().key_id].includes(e.target_id),
    );
    expect(created).toHaveLength(2);
    const ids = created.map((e) => e.request_id);
    expect(new Set(ids).size).toBe(2);
    expect(ids).not.toContain(FORGED);
    expect(new Set(ids)).toEqual(new Set([a.headers['x-request-id'], b.headers['x-request-id']]));
  });

  it("a problem body's request_id is the server's id; the client's plain id is echoed beside it and logged apart", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    world = await httpWorld(backend);
    const app = await buildApp({ vault: world.vault, logger: createLogger('info', sink) });
    try {
      const res = await app.inject({ url: '/v1/me', headers: { 'x-request-id': FORGED } });
      expect(res.statusCode).toBe(401);
      expect(res.json().request_id).toBe(res.headers['x-request-id']);
      expect(res.json().request_id).toMatch(UUID);
      expect(res.headers['x-client-request-id']).toBe(FORGED);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.length).toBeGreaterThan(0);
      for (const l of logged) {
        expect(l.reqId).toBe(res.headers['x-request-id']);
        expect(l.client_request_id).toBe(FORGED);
      }
      // An id that is not short and plain is neither echoed nor logged.
      const odd = await app.inject({ url: '/health', headers: { 'x-request-id': 'a b <script>' } });
      expect(odd.headers['x-request-id']).toMatch(UUID);
      expect(odd.headers['x-client-request-id']).toBeUndefined();
      expect(lines.join('')).not.toContain('<script>');
    } finally {
      await app.close();
    }
  });
});
