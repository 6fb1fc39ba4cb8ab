import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

/** Test-only Fernet encoder on node:crypto, following the public spec (orgvault never writes Fernet). */
export function encodeFernet(
  keyText: string,
  plaintext: string,
  opts: { iv?: Buffer; time?: number } = {},
): string {
  const raw = Buffer.from(keyText, 'base64url');
  const iv = opts.iv ?? randomBytes(16);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(opts.time ?? Math.floor(Date.now() / 1000)));
  const cipher = createCipheriv('aes-128-cbc', raw.subarray(16), iv);
  const body = Buffer.concat([
    Buffer.from([0x80]),
    time,
    iv,
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
  ]);
  const mac = createHmac('sha256', raw.subarray(0, 16)).update(body).digest();
  return Buffer.concat([body, mac]).toString('base64url');
}
