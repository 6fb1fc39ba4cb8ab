import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/api-key-format.js';
import type { ApiKeyRow } from '../../src/storage/rows.js';
import { AUTH_SCOPE, orgScope } from '../../src/storage/storage.js';
import { internalsOf } from '../../src/vault-internals.js';
import {
  call,
  type HttpWorld,
  httpWorld,
  problemWithoutRequestId,
  testClock,
  wrongSecret,
} from '../http/support.js';
import { selectedBackends } from '../support/backends.js';

const backends = await selectedBackends();

const legacyRow = (orgId: string, plaintext: string, extra: Partial<ApiKeyRow> = {}): ApiKeyRow => ({
  keyId: 'nexus-legacy-1',
  orgId,
  hash: sha256Hex(plaintext),
  legacy: true,
  role: 'operator',
  name: 'from nexus',
  status: 'active',
  createdAt: '2025-01-01T00:00:00.000Z',
  createdBy: null,
  expiresAt: null,
  graceUntil: null,
  revokedAt: null,
  lastUsedAt: null,
  rotatedTo: null,
  rateLimitPerMinute: null,
  ...extra,
});

describe.each(backends.map((b) => [b.name, b] as const))('API keys on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world.close());

  it('keys look like ovk_<id>_<secret>; only the SHA-256 of the secret is stored', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const match = /^ovk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(k.apiKey);
    expect(match).not.toBeNull();
    expect(match?.[1]).toBe(k.keyId);
    const row = await internalsOf(world.vault).storage.read(AUTH_SCOPE, (r) =>
      r.apiKeys.findApiKeyForAuth(k.keyId),
    );
    expect(row?.hash).toBe(sha256Hex(match?.[2] ?? ''));
    expect(JSON.stringify(row)).not.toContain(match?.[2]);
    if (backend.name === 'sqlite') {
      const dbFile = world.vault.config.databaseUrl.slice('sqlite:'.length);
      await world.vault.close(); // flush the WAL into the file
      const bytes = readFileSync(dbFile);
      expect(bytes.includes(Buffer.from(match?.[2] ?? 'x'))).toBe(false);
      expect(bytes.includes(Buffer.from(k.apiKey))).toBe(false);
    }
  });

  it('verify: ok, then unknown id, wrong secret, malformed, revoked are denials (data, not throws)', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'admin' });
    expect(await world.vault.auth.verify(k.apiKey)).toEqual({
      ok: true,
      orgId: 'default',
      keyId: k.keyId,
      role: 'admin',
    });
    const secret = k.apiKey.split('_').slice(2).join('_');
    expect(await world.vault.auth.verify(`ovk_0123456789abcdef_${secret}`)).toEqual({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await world.vault.auth.verify(wrongSecret(k.apiKey))).toEqual({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await world.vault.auth.verify('ovk_nope')).toEqual({ ok: false, code: 'MALFORMED' });
    expect(await world.vault.auth.verify('x'.repeat(10_000))).toEqual({ ok: false, code: 'MALFORMED' });
    expect(await world.vault.auth.verify('')).toEqual({ ok: false, code: 'MALFORMED' });
    await world.vault.org().keys.revoke(k.keyId);
    expect(await world.vault.auth.verify(k.apiKey)).toEqual({ ok: false, code: 'REVOKED' });
  });

  it('expiry: a key with expires_at works until then; a past expires_at is refused at creation', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const at = new Date(clock().getTime() + 3600_000).toISOString();
    const k = await world.vault.org().keys.create({ role: 'viewer', expiresAt: at });
    expect(k.expiresAt).toBe(at);
    expect((await world.vault.auth.verify(k.apiKey)).ok).toBe(true);
    clock.advance(3600_000);
    expect(await world.vault.auth.verify(k.apiKey)).toEqual({ ok: false, code: 'EXPIRED' });
    expect((await world.vault.org().keys.get(k.keyId))?.status).toBe('expired');
    await expect(
      world.vault.org().keys.create({ role: 'viewer', expiresAt: '2000-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const http = await call(world.app, 'POST', '/v1/api-keys', {
      key: (await world.vault.org().keys.create({ role: 'owner' })).apiKey,
      body: { role: 'viewer', expires_at: 'tomorrow' },
    });
    expect(http.statusCode).toBe(400);
  });

  it('unknown, wrong secret, revoked, expired and grace-expired keys all get the same 401 body', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const keys = world.vault.org().keys;
    const revoked = await keys.create({ role: 'owner' });
    await keys.revoke(revoked.keyId);
    const expiring = await keys.create({ role: 'owner', expiresAt: new Date(clock().getTime() + 1000) });
    const rotated = await keys.create({ role: 'owner' });
    await keys.rotate(rotated.keyId, { graceSeconds: 1 });
    clock.advance(5000);
    const good = await keys.create({ role: 'owner' });
    const presented = [
      'ovk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      wrongSecret(good.apiKey),
      revoked.apiKey,
      expiring.apiKey,
      rotated.apiKey,
      'not-a-key-at-all',
    ];
    const bodies = [];
    for (const key of presented) {
      const res = await call(world.app, 'GET', '/v1/me', { key });
      expect(res.statusCode, key).toBe(401);
      bodies.push(problemWithoutRequestId(res));
    }
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    expect((await call(world.app, 'GET', '/v1/me', { key: good.apiKey })).statusCode).toBe(200);
  });

  it('Authorization: Bearer works like X-API-Key', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const res = await call(world.app, 'GET', '/v1/me', { headers: { authorization: `Bearer ${k.apiKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ key_id: k.keyId, role: 'viewer', permissions: ['read_config'] });
    const basic = await call(world.app, 'GET', '/v1/me', { headers: { authorization: `Basic ${k.apiKey}` } });
    expect(basic.statusCode).toBe(401);
  });

  it('legacy NEXUS keys (no prefix) are verified by the hash of the whole plaintext', async () => {
    world = await httpWorld(backend);
    await world.vault.system.createOrg('globex');
    const plaintext = 'nexus_sk_live_4f1b2c3d';
    await internalsOf(world.vault).storage.transaction(orgScope('globex'), (tx) =>
      tx.apiKeys.insertApiKey('globex', legacyRow('globex', plaintext)),
    );
    expect(await world.vault.auth.verify(plaintext)).toMatchObject({
      ok: true,
      orgId: 'globex',
      keyId: 'nexus-legacy-1',
      role: 'operator',
    });
    expect((await world.vault.auth.verify(`${plaintext}x`)).ok).toBe(false);
    const me = await call(world.app, 'GET', '/v1/me', { key: plaintext });
    expect(me.json()).toMatchObject({ org_id: 'globex', key_id: 'nexus-legacy-1' });
    // A legacy row can be revoked like any other key.
    await world.vault.org('globex').keys.revoke('nexus-legacy-1');
    expect(await world.vault.auth.verify(plaintext)).toEqual({ ok: false, code: 'REVOKED' });
  });

  it('last_used_at is written at most about once a minute per key', async () => {
    const clock = testClock();
    world = await httpWorld(backend, { clock });
    const k = await world.vault.org().keys.create({ role: 'viewer' });
    const t0 = clock().toISOString();
    await world.vault.auth.verify(k.apiKey);
    expect((await world.vault.org().keys.get(k.keyId))?.lastUsedAt).toBe(t0);
    clock.advance(30_000);
    for (let i = 0; i < 5; i++) await world.vault.auth.verify(k.apiKey);
    expect((await world.vault.org().keys.get(k.keyId))?.lastUsedAt).toBe(t0);
    clock.advance(31_000);
    await world.vault.auth.verify(k.apiKey);
    expect((await world.vault.org().keys.get(k.keyId))?.lastUsedAt).toBe(clock().toISOString());
  });

  it('rotation keeps role, name and expiry; only an active key can be rotated', async () => {
    world = await httpWorld(backend);
    const keys = world.vault.org().keys;
    const k = await keys.create({ role: 'operator', name: 'ci' });
    const r = await keys.rotate(k.keyId);
    expect(r).toMatchObject({ role: 'operator', name: 'ci', rotatedFrom: k.keyId });
    expect((await keys.get(k.keyId))?.status).toBe('rotation_pending');
    await expect(keys.rotate(k.keyId)).rejects.toMatchObject({ code: 'CONFLICT' });
    await keys.revoke(r?.keyId ?? '');
    await expect(keys.rotate(r?.keyId ?? '')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await keys.rotate('ffffffffffffffff')).toBeNull();
    await expect(keys.rotate(k.keyId, { graceSeconds: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('listings and audit rows never hold a hash, a secret or a key', async () => {
    world = await httpWorld(backend);
    const owner = await world.vault.org().keys.create({ role: 'owner' });
    const created = await call(world.app, 'POST', '/v1/api-keys', {
      key: owner.apiKey,
      body: { role: 'viewer' },
    });
    const viewer = created.json();
    const rotated = await call(world.app, 'POST', `/v1/api-keys/${viewer.key_id}/rotate`, {
      key: owner.apiKey,
    });
    await call(world.app, 'DELETE', `/v1/api-keys/${rotated.json().key_id}`, { key: owner.apiKey });
    const list = await call(world.app, 'GET', '/v1/api-keys', { key: owner.apiKey });
    const audit = await call(world.app, 'GET', '/v1/audit?limit=500', { key: owner.apiKey });
    const rows = await internalsOf(world.vault).storage.read(AUTH_SCOPE, (r) =>
      r.apiKeys.listApiKeys('default'),
    );
    for (const text of [list.body, audit.body]) {
      for (const secret of [owner.apiKey, viewer.api_key, rotated.json().api_key]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.split('_').slice(2).join('_'));
      }
      for (const row of rows) expect(text).not.toContain(row.hash);
    }
    expect(list.json().api_keys[0]).not.toHaveProperty('hash');
    const actions = audit.json().events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.create', 'api_key.rotate', 'api_key.revoke']));
  });

  it('orgs created with their owner key in one step (the CLI path)', async () => {
    world = await httpWorld(backend);
    const k = await world.vault.auth.createOrgWithOwner('initech', { name: 'Initech' });
    expect(k).toMatchObject({ orgId: 'initech', role: 'owner' });
    expect(await world.vault.auth.verify(k.apiKey)).toMatchObject({ ok: true, orgId: 'initech' });
    await expect(world.vault.auth.createOrgWithOwner('initech')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await world.vault.org('initech').keys.list()).toHaveLength(1);
  });
});
