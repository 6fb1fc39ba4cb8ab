import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointToJson } from '../../src/audit/audit-checkpoint.js';
import { GENESIS_HASH } from '../../src/audit/audit-log.js';
import { openVault } from '../../src/vault.js';
import { call, type HttpWorld, httpWorld, type OrgKeys, orgWithKeys } from '../http/support.js';
import { type FreshDatabase, selectedBackends } from '../support/backends.js';
import { runOrgvault } from '../support/cli.js';
import { manifest } from '../support/manifests.js';
import { rawSql } from '../support/raw-sql.js';

const backends = await selectedBackends();

const seed = () => randomBytes(32).toString('base64');

/** A few changes through the library: each one is an audit event of the org. */
async function someChanges(world: HttpWorld, orgId: string, n = 3): Promise<void> {
  const org = world.vault.org(orgId);
  await org.modules.install(manifest('weather/openweather'));
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) await org.modules.disable('weather/openweather');
    else await org.modules.enable('weather/openweather');
  }
}

/** The CLI's environment for the test database, with the same signing key as the app. */
function cliEnv(db: FreshDatabase, signingKey: string): Record<string, string> {
  const o = db.options as FreshDatabase['options'] & { databaseOwnerUrl?: string };
  return {
    ORGVAULT_DATABASE_URL: o.databaseUrl,
    ...(o.databaseOwnerUrl ? { ORGVAULT_DATABASE_OWNER_URL: o.databaseOwnerUrl } : {}),
    ORGVAULT_DATA_DIR: o.dataDir,
    ORGVAULT_MASTER_KEY: o.masterKey,
    ORGVAULT_AUDIT_SIGNING_KEY: signingKey,
  };
}

async function checkpointOf(world: HttpWorld, org: OrgKeys): Promise<Record<string, unknown>> {
  const res = await call(world.app, 'GET', '/v1/audit/checkpoint', { key: org.keys.admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

function saved(world: HttpWorld, checkpoint: unknown, name = 'checkpoint.json'): string {
  const file = join(world.db.options.dataDir, name);
  writeFileSync(file, JSON.stringify(checkpoint));
  return file;
}

function flipByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[10] = (bytes[10] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe.each(backends.map((b) => [b.name, b] as const))(
  'signed audit checkpoints on %s',
  (_name, backend) => {
    let world: HttpWorld;
    afterEach(async () => world.close());

    it('replay of the attack: the newest 3 events deleted by SQL leave the chain "intact" but fail the checkpoint (library and CLI exit 1)', async () => {
      const key = seed();
      world = await httpWorld(backend, { auditSigningKey: key });
      const org = await orgWithKeys(world.vault, 'tail');
      await someChanges(world, org.orgId, 5);
      const checkpoint = await checkpointOf(world, org);
      const seq = checkpoint.seq as number;
      expect(seq).toBe((await world.vault.org(org.orgId).audit.list({ limit: 1 }))[0]?.seq);
      const file = saved(world, checkpoint);
      const env = cliEnv(world.db, key);

      expect(await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint)).toMatchObject({
        ok: true,
      });
      const before = await runOrgvault(['audit', 'verify', '--org', org.orgId, '--checkpoint', file], env);
      expect(before.code, before.stderr).toBe(0);
      expect(before.stdout).toMatch(new RegExp(`intact \\(${seq} events\\) and holds the checkpoint`));

      const deleted = await rawSql(
        world.db,
        org.orgId,
        'DELETE FROM audit_events WHERE org_id = ? AND seq > ?',
        [org.orgId, seq - 3],
      );
      expect(deleted).toBe(3);
      // The attack: the chain alone still verifies.
      expect(await world.vault.system.verifyAuditChain(org.orgId)).toMatchObject({
        ok: true,
        events: seq - 3,
      });
      expect(await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint)).toMatchObject({
        ok: false,
        code: 'CHAIN_SHORTER',
      });
      const after = await runOrgvault(
        ['audit', 'verify', '--org', org.orgId, '--checkpoint', file, '--json'],
        env,
      );
      expect(after.code).toBe(1);
      expect(JSON.parse(after.stdout)).toMatchObject({ ok: false, code: 'CHAIN_SHORTER', events: seq - 3 });
      expect(after.stderr).toMatch(/checkpoint .* does not hold: .*events were deleted/);
      // Without the checkpoint the CLI cannot tell (which is why checkpoints exist).
      expect((await runOrgvault(['audit', 'verify', '--org', org.orgId], env)).code).toBe(0);
    });

    it('events appended after the checkpoint pass; a rewritten tail (deleted, then new events appended) fails', async () => {
      world = await httpWorld(backend, { auditSigningKey: seed() });
      const org = await orgWithKeys(world.vault, 'rewrite');
      await someChanges(world, org.orgId, 2);
      const checkpoint = await checkpointOf(world, org);
      await someChanges(world, org.orgId, 2);
      const grown = await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint);
      expect(grown.ok).toBe(true);
      expect(grown.chain?.events).toBeGreaterThan(checkpoint.seq as number);

      await rawSql(world.db, org.orgId, 'DELETE FROM audit_events WHERE org_id = ? AND seq >= ?', [
        org.orgId,
        checkpoint.seq,
      ]);
      await someChanges(world, org.orgId, 3); // the chain is long enough again, and links up
      expect((await world.vault.system.verifyAuditChain(org.orgId)).ok).toBe(true);
      expect(await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint)).toMatchObject({
        ok: false,
        code: 'HEAD_DIFFERS',
      });
    });

    it("a forged signature (one byte flipped), another org's checkpoint, a changed seq or an unknown key fail (CLI exit 1)", async () => {
      const key = seed();
      world = await httpWorld(backend, { auditSigningKey: key });
      const a = await orgWithKeys(world.vault, 'forge-a');
      const b = await orgWithKeys(world.vault, 'forge-b');
      await someChanges(world, a.orgId);
      const checkpoint = await checkpointOf(world, a);
      const env = cliEnv(world.db, key);
      const v = (c: unknown, orgId = a.orgId) => world.vault.system.verifyAuditCheckpoint(orgId, c);

      const forged = { ...checkpoint, signature: flipByte(checkpoint.signature as string) };
      expect(await v(forged)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
      expect(await v({ ...checkpoint, seq: (checkpoint.seq as number) - 1 })).toMatchObject({
        ok: false,
        code: 'BAD_SIGNATURE',
      });
      expect(await v({ ...checkpoint, key_id: '0123456789abcdef' })).toMatchObject({
        ok: false,
        code: 'UNKNOWN_KEY',
      });
      expect(await v({ ...checkpoint, seq: 'ten' })).toMatchObject({ ok: false, code: 'MALFORMED' });
      expect(await v(checkpoint, b.orgId)).toMatchObject({ ok: false, code: 'OTHER_ORG' });
      expect(await v(checkpoint)).toMatchObject({ ok: true });

      const forgedCli = await runOrgvault(
        ['audit', 'verify', '--org', a.orgId, '--checkpoint', saved(world, forged, 'forged.json')],
        env,
      );
      expect(forgedCli.code).toBe(1);
      expect(forgedCli.stderr).toMatch(/signature does not verify/);
      const otherCli = await runOrgvault(
        ['audit', 'verify', '--org', b.orgId, '--checkpoint', saved(world, checkpoint), '--json'],
        env,
      );
      expect(otherCli.code).toBe(1);
      expect(JSON.parse(otherCli.stdout)).toMatchObject({ ok: false, code: 'OTHER_ORG' });
      // Signed by a key the CLI is not configured with: not verifiable, exit 1.
      const strangerCli = await runOrgvault(
        ['audit', 'verify', '--org', a.orgId, '--checkpoint', saved(world, checkpoint)],
        { ...env, ORGVAULT_AUDIT_SIGNING_KEY: seed() },
      );
      expect(strangerCli.code).toBe(1);
      expect(strangerCli.stderr).toMatch(/not a configured audit signing key/);
    });

    it('public keys need no API key and verify a checkpoint offline over the text of the contract', async () => {
      world = await httpWorld(backend, { auditSigningKey: seed() });
      const org = await orgWithKeys(world.vault, 'pub');
      await someChanges(world, org.orgId);
      const checkpoint = await checkpointOf(world, org);
      const res = await call(world.app, 'GET', '/v1/audit/public-keys');
      expect(res.statusCode).toBe(200);
      const { keys } = res.json() as {
        keys: Array<{ key_id: string; algorithm: string; public_key: string }>;
      };
      expect(keys).toHaveLength(1);
      const [pub] = keys;
      expect(pub?.algorithm).toBe('Ed25519');
      expect(pub?.key_id).toBe(checkpoint.key_id);
      const publicKey = createPublicKey(pub?.public_key ?? '');
      const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      expect(pub?.key_id).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 16));
      const text = `orgvault-audit-checkpoint\n${checkpoint.org_id}\n${checkpoint.seq}\n${checkpoint.head}\n${checkpoint.at}\n`;
      const signature = Buffer.from(checkpoint.signature as string, 'base64');
      expect(verify(null, Buffer.from(text), publicKey, signature)).toBe(true);
      expect(verify(null, Buffer.from(text.replace('\n', '\nx')), publicKey, signature)).toBe(false);
    });

    it('rotation: the first configured key signs, an older one still verifies its checkpoints', async () => {
      const oldKey = seed();
      const newKey = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      world = await httpWorld(backend, { auditSigningKey: oldKey });
      const org = await orgWithKeys(world.vault, 'rotate');
      const oldCheckpoint = await checkpointOf(world, org);
      const rotated = await openVault({
        ...world.db.options,
        auditSigningKey: `${newKey}\n${oldKey}`,
        warn: () => {},
      });
      try {
        const keyIds = rotated.auditPublicKeys().map((k) => k.key_id);
        expect(keyIds).toHaveLength(2);
        expect(keyIds[1]).toBe(oldCheckpoint.key_id);
        const newCheckpoint = await rotated.system.auditCheckpoint(org.orgId);
        expect(newCheckpoint.keyId).toBe(keyIds[0]);
        expect(await rotated.system.verifyAuditCheckpoint(org.orgId, oldCheckpoint)).toMatchObject({
          ok: true,
        });
        // The old vault, which knows only the old key, cannot verify what the new key signed.
        expect(
          await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpointToJson(newCheckpoint)),
        ).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
      } finally {
        await rotated.close();
      }
    });

    it('an emptied chain is checkpointed as seq 0 with the genesis hash, and that checkpoint holds', async () => {
      world = await httpWorld(backend, { auditSigningKey: seed() });
      const org = await orgWithKeys(world.vault, 'empty');
      await rawSql(world.db, org.orgId, 'DELETE FROM audit_events WHERE org_id = ?', [org.orgId]);
      const checkpoint = await checkpointOf(world, org);
      expect(checkpoint).toMatchObject({ org_id: org.orgId, seq: 0, head: GENESIS_HASH });
      expect(await world.vault.system.verifyAuditCheckpoint(org.orgId, checkpoint)).toMatchObject({
        ok: true,
      });
    });
  },
);
