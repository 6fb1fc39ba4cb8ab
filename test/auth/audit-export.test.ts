import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditEvent } from '../../src/audit/audit-log.js';
import type { AuditRow } from '../../src/storage/rows.js';
import { internalsOf } from '../../src/vault-internals.js';
import { call, type HttpWorld, httpWorld, orgWithKeys } from '../http/support.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest } from '../support/manifests.js';

const backends = await selectedBackends();

function ndjson(text: string): Array<Record<string, unknown>> {
  expect(text === '' || text.endsWith('\n'), 'every line ends with a newline').toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Recomputes each exported event's hash from the line alone and checks that the lines link up. */
function expectLinkedChain(lines: Array<Record<string, unknown>>, firstPrev: string): void {
  let prev = firstPrev;
  for (const l of lines) {
    expect(l.prev_hash).toBe(prev);
    const row: Omit<AuditRow, 'hash'> = {
      orgId: l.org_id as string,
      seq: l.seq as number,
      at: l.at as string,
      actorKeyId: l.actor_key_id as string | null,
      action: l.action as string,
      targetType: l.target_type as string | null,
      targetId: l.target_id as string | null,
      requestId: l.request_id as string | null,
      outcome: l.outcome as AuditRow['outcome'],
      details: l.details as Record<string, unknown>,
      prevHash: l.prev_hash as string,
    };
    expect(hashAuditEvent(row), `hash of event ${l.seq}`).toBe(l.hash);
    prev = l.hash as string;
  }
}

function cliEnv(db: FreshDatabase): Record<string, string> {
  const o = db.options as FreshDatabase['options'] & { databaseOwnerUrl?: string };
  return {
    ORGVAULT_DATABASE_URL: o.databaseUrl,
    ...(o.databaseOwnerUrl ? { ORGVAULT_DATABASE_OWNER_URL: o.databaseOwnerUrl } : {}),
    ORGVAULT_DATA_DIR: o.dataDir,
    ORGVAULT_MASTER_KEY: o.masterKey,
  };
}

describe.each(backends.map((b) => [b.name, b] as const))('audit export on %s', (_name, backend) => {
  let world: HttpWorld;
  afterEach(async () => world.close());

  it("NDJSON over HTTP and from the CLI equals the chain (seq, prev_hash, hash link up); after works; another org's events never appear", async () => {
    world = await httpWorld(backend);
    const a = await orgWithKeys(world.vault, 'export-a');
    const b = await orgWithKeys(world.vault, 'export-b');
    for (const org of [a, b]) {
      await world.vault.org(org.orgId).modules.install(manifest('weather/openweather'));
      await world.vault.org(org.orgId).modules.disable('weather/openweather');
    }
    const chain = (await world.vault.org(a.orgId).audit.list({ limit: 1000 })).reverse();
    expect(chain.length).toBeGreaterThan(5);

    const res = await call(world.app, 'GET', '/v1/audit/export', { key: a.keys.admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson(res.body);
    expect(lines.map((l) => l.seq)).toEqual(chain.map((e) => e.seq));
    expect(lines.map((l) => l.hash)).toEqual(chain.map((e) => e.hash));
    expect(new Set(lines.map((l) => l.org_id))).toEqual(new Set([a.orgId]));
    expect(res.body).not.toContain(b.orgId);
    expectLinkedChain(lines, GENESIS_HASH);

    const after = ndjson(
      (await call(world.app, 'GET', '/v1/audit/export?after=3', { key: a.keys.admin })).body,
    );
    expect(after.map((l) => l.seq)).toEqual(chain.filter((e) => e.seq > 3).map((e) => e.seq));
    expectLinkedChain(after, chain[2]?.hash ?? '');
    const beyond = await call(world.app, 'GET', '/v1/audit/export?after=100000', { key: a.keys.admin });
    expect(beyond.statusCode).toBe(200);
    expect(beyond.body).toBe('');
    expect(
      (await call(world.app, 'GET', '/v1/audit/export?after=-1', { key: a.keys.admin })).statusCode,
    ).toBe(400);

    const cli = await runOrgvault(['audit', 'export', '--org', a.orgId], cliEnv(world.db));
    expect(cli.code, cli.stderr).toBe(0);
    expect(ndjson(cli.stdout)).toEqual(lines);
    const cliAfter = await runOrgvault(
      ['audit', 'export', '--org', a.orgId, '--after', '3'],
      cliEnv(world.db),
    );
    expect(ndjson(cliAfter.stdout)).toEqual(after);
    expect(
      (await runOrgvault(['audit', 'export', '--org', a.orgId, '--after', 'x'], cliEnv(world.db))).code,
    ).toBe(2);
  });

  it('the chain is walked in bounded batches: a batch of 2 yields the same events, in order, as one read', async () => {
    world = await httpWorld(backend);
    const org = await orgWithKeys(world.vault, 'batches');
    await world.vault.org(org.orgId).modules.install(manifest('weather/openweather'));
    const whole = (await world.vault.org(org.orgId).audit.list({ limit: 1000 })).reverse();
    const batched: AuditRow[] = [];
    for await (const e of internalsOf(world.vault).audit.events(org.orgId, 0, 2)) batched.push(e);
    expect(batched).toEqual(whole);
    const tail: number[] = [];
    for await (const e of internalsOf(world.vault).audit.events(org.orgId, 2, 2)) tail.push(e.seq);
    expect(tail).toEqual(whole.slice(2).map((e) => e.seq));
  });
});
