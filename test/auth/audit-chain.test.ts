import { afterEach, describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../src/audit/audit-log.js';
import { call, type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';
import { manifest } from '../support/manifests.js';
import { rawSql } from '../support/raw-sql.js';

const backends = await selectedBackends();

/** A run of mixed operations through the API, as a user would make them. */
async function mixedOperations(world: HttpWorld, ownerKey: string): Promise<void> {
  const w = world.app;
  const M = '/v1/modules/weather/openweather';
  const ok = (p: Promise<{ statusCode: number; body: string }>) =>
    p.then((r) => expect(r.statusCode, r.body).toBeLessThan(300));
  await ok(call(w, 'PUT', M, { key: ownerKey, body: manifest('weather/openweather') }));
  await ok(call(w, 'PUT', '/v1/modules/search/serpapi', { key: ownerKey, body: manifest('search/serpapi') }));
  await ok(
    call(w, 'PUT', `${M}/credentials`, {
      key: ownerKey,
      body: { credentials: { api_key: 'sk-audit-secret' } },
    }),
  );
  await ok(call(w, 'POST', `${M}/disable`, { key: ownerKey }));
  await ok(call(w, 'POST', `${M}/enable`, { key: ownerKey }));
  const created = await call(w, 'POST', '/v1/api-keys', { key: ownerKey, body: { role: 'operator' } });
  const id = created.json().key_id;
  const rotated = await call(w, 'POST', `/v1/api-keys/${id}/rotate`, {
    key: ownerKey,
    body: { grace_seconds: 60 },
  });
  await ok(call(w, 'DELETE', `/v1/api-keys/${rotated.json().key_id}`, { key: ownerKey }));
  await ok(call(w, 'DELETE', `${M}/credentials`, { key: ownerKey }));
  await ok(call(w, 'DELETE', '/v1/modules/search/serpapi', { key: ownerKey }));
}

describe.each(backends.map((b) => [b.name, b] as const))('audit trail on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world.close());

  it('every change is recorded with actor, action, target and request id; newest first; no secrets', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'audit');
    await mixedOperations(world, org.keys.owner);
    const res = await call(world.app, 'GET', '/v1/audit?limit=500', { key: org.keys.admin });
    expect(res.statusCode).toBe(200);
    const events = res.json().events as Array<Record<string, unknown>>;
    const actions = events.map((e) => e.action);
    expect(actions.slice(0, 10)).toEqual([
      'module.uninstall',
      'credentials.delete',
      'api_key.revoke',
      'api_key.rotate',
      'api_key.create',
      'module.enable',
      'module.disable',
      'credentials.store',
      'module.install',
      'module.install',
    ]);
    const seqs = events.map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    for (const e of events.slice(0, 10)) {
      expect(e.actor_key_id).toBe(org.keyIds.owner);
      expect(typeof e.request_id).toBe('string');
      expect(e.outcome).toBe('success');
    }
    expect(res.body).not.toContain('sk-audit-secret');
    expect(res.body).not.toContain('ovk_');
  });

  it('pagination: limit and before walk the whole trail without gaps or repeats', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'audit');
    await mixedOperations(world, org.keys.owner);
    const all = (await world.vault.org(org.orgId).audit.list({ limit: 1000 })).map((e) => e.seq);
    const seen: number[] = [];
    let url = '/v1/audit?limit=3';
    for (let page = 0; page < 50; page++) {
      const body = (await call(world.app, 'GET', url, { key: org.keys.owner })).json();
      seen.push(...body.events.map((e: { seq: number }) => e.seq));
      if (body.next_before === null) break;
      url = `/v1/audit?limit=3&before=${body.next_before}`;
    }
    expect(seen).toEqual(all);
  });

  it("the chain of each org verifies after mixed operations; another org's trail is its own", async () => {
    world = await httpWorld(backend);
    const a = await orgWithKeys(world.vault, 'audit-a');
    const b = await orgWithKeys(world.vault, 'audit-b');
    await mixedOperations(world, a.keys.owner);
    await mixedOperations(world, b.keys.owner);
    for (const org of [a, b, { orgId: 'default' }]) {
      const v = await world.vault.system.verifyAuditChain(org.orgId);
      expect(v.ok, org.orgId).toBe(true);
    }
  });

  it('one row edited by SQL breaks verification, and so does a deleted row', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'audit');
    await mixedOperations(world, org.keys.owner);
    expect((await world.vault.system.verifyAuditChain(org.orgId)).ok).toBe(true);
    const edited = await rawSql(
      world.db,
      org.orgId,
      'UPDATE audit_events SET details = ? WHERE org_id = ? AND seq = 8',
      ['{"fields":["other"]}', org.orgId],
    );
    expect(edited).toBe(1);
    expect(await world.vault.system.verifyAuditChain(org.orgId)).toMatchObject({ ok: false, brokenAt: 8 });

    const other = await orgWithKeys(world.vault, 'audit');
    await mixedOperations(world, other.keys.owner);
    const deleted = await rawSql(
      world.db,
      other.orgId,
      'DELETE FROM audit_events WHERE org_id = ? AND seq = 3',
      [other.orgId],
    );
    expect(deleted).toBe(1);
    expect(await world.vault.system.verifyAuditChain(other.orgId)).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('an edited event re-hashed and relinked by SQL still breaks the chain at the next event', async () => {
    // The attacker edits event k, recomputes its hash, and points event k+1 at the new hash. Only
    // k+1's own hash, which covers prev_hash, can still tell.
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'audit');
    await mixedOperations(world, org.keys.owner);
    const k = 8;
    const exported = await call(world.app, 'GET', '/v1/audit/export?after=0', { key: org.keys.owner });
    expect(exported.statusCode).toBe(200);
    const events = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ExportedEvent);
    const event = events.find((e) => e.seq === k);
    const next = events.find((e) => e.seq === k + 1);
    if (event === undefined || next === undefined) throw new Error(`events ${k} and ${k + 1} are exported`);
    // The export recomputes: the chain as exported is sound before the edit.
    expect(hashAuditEvent(asRow(event))).toBe(event.hash);
    expect(hashAuditEvent(asRow(next))).toBe(next.hash);

    const details = { fields: ['other'] };
    const forged = hashAuditEvent({ ...asRow(event), details });
    expect(
      await rawSql(
        world.db,
        org.orgId,
        'UPDATE audit_events SET details = ?, hash = ? WHERE org_id = ? AND seq = ?',
        [JSON.stringify(details), forged, org.orgId, k],
      ),
    ).toBe(1);
    expect(
      await rawSql(
        world.db,
        org.orgId,
        'UPDATE audit_events SET prev_hash = ? WHERE org_id = ? AND seq = ?',
        [forged, org.orgId, k + 1],
      ),
    ).toBe(1);
    expect(await world.vault.system.verifyAuditChain(org.orgId)).toMatchObject({
      ok: false,
      brokenAt: k + 1,
      reason: 'event altered',
    });
  });
});

interface ExportedEvent {
  org_id: string;
  seq: number;
  at: string;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** An exported event (snake_case) as the hash function takes it. */
function asRow(e: ExportedEvent): Parameters<typeof hashAuditEvent>[0] {
  return {
    orgId: e.org_id,
    seq: e.seq,
    at: e.at,
    actorKeyId: e.actor_key_id,
    action: e.action,
    targetType: e.target_type,
    targetId: e.target_id,
    requestId: e.request_id,
    outcome: e.outcome,
    details: e.details,
    prevHash: e.prev_hash,
  };
}
