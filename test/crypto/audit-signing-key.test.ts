import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointToJson } from '../../src/audit/audit-checkpoint.js';
import { AuditSigningKeys, auditKeyId, parseAuditSigningKeys } from '../../src/audit/audit-signing-keys.js';
import { openVault } from '../../src/vault.js';
import { testMasterKey } from '../support/backends.js';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

describe('audit signing keys', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'orgvault-signing-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a generated signing key file has mode 0600 in a 0700 directory, comes with a warning, and is reused', async () => {
    const root = tempDir();
    const dataDir = join(root, 'data');
    const masterKey = testMasterKey();
    const warnings: string[] = [];
    const open = () =>
      openVault({
        databaseUrl: `sqlite:${join(root, 'orgvault.db')}`,
        dataDir,
        masterKey,
        warn: (m) => warnings.push(m),
      });
    const first = await open();
    const file = join(dataDir, 'audit-signing.key');
    const checkpoint = await first.system.auditCheckpoint('default');
    await first.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(warnings.some((w) => w.includes('WARNING') && w.includes('audit-signing.key'))).toBe(true);

    const second = await open();
    try {
      expect(second.auditPublicKeys().map((k) => k.key_id)).toEqual([checkpoint.keyId]);
      expect(
        await second.system.verifyAuditCheckpoint('default', checkpointToJson(checkpoint)),
      ).toMatchObject({
        ok: true,
      });
    } finally {
      await second.close();
    }
  });

  it('with a configured key no file is written; production without one refuses to start', async () => {
    const dataDir = tempDir();
    const keys = new AuditSigningKeys({
      auditSigningKey: randomBytes(32).toString('base64'),
      dataDir,
      production: true,
    });
    expect(keys.all()).toHaveLength(1);
    expect(existsSync(join(dataDir, 'audit-signing.key'))).toBe(false);
    await expect(
      openVault({
        databaseUrl: `sqlite:${join(dataDir, 'orgvault.db')}`,
        dataDir,
        masterKey: testMasterKey(),
        production: true,
        warn: () => {},
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /ORGVAULT_AUDIT_SIGNING_KEY/ });
    expect(existsSync(join(dataDir, 'audit-signing.key'))).toBe(false);
  });

  it('ORGVAULT_AUDIT_SIGNING_KEY: a seed and its PKCS#8 PEM are the same key; several keys, newest first; bad ones are refused', () => {
    const seed = randomBytes(32);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seedPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.concat([PKCS8_ED25519_PREFIX, seed]).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const [fromSeed] = parseAuditSigningKeys(seed.toString('base64'));
    const [fromPem] = parseAuditSigningKeys(seedPem);
    expect(fromSeed?.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromSeed?.keyId).toBe(fromPem?.keyId);

    // A retired key kept as its public half only: it verifies, it never signs.
    const retired = generateKeyPairSync('ed25519').publicKey;
    const spki = retired.export({ format: 'pem', type: 'spki' }).toString();
    const several = parseAuditSigningKeys(`${pem}, ${seed.toString('base64')}\n${spki}`);
    expect(several.map((k) => k.privateKey !== null)).toEqual([true, true, false]);
    expect(several.map((k) => k.keyId)).toEqual([
      auditKeyId(publicKey),
      fromSeed?.keyId,
      auditKeyId(retired),
    ]);

    expect(() => parseAuditSigningKeys(randomBytes(16).toString('base64'))).toThrow(/32-byte seed/);
    expect(() => parseAuditSigningKeys(spki)).toThrow(/must be a private key/);
    expect(() => parseAuditSigningKeys(`${pem},${pem}`)).toThrow(/duplicate/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => parseAuditSigningKeys(rsa.toString())).toThrow(/Ed25519/);
  });
});
