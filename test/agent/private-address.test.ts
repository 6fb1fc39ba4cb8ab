import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/agent/http/private-address.js';

/** The two 16-bit groups of an IPv4 address, in hex. */
function groups(v4: string, transform = (n: number) => n): [string, string] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex = (n: number) => (transform(n) & 0xffff).toString(16);
  return [hex((a << 8) | b), hex((c << 8) | d)];
}

/** Every IPv6 spelling that delivers to (or embeds) the given IPv4 address. */
function embeddedSpellings(v4: string): Record<string, string> {
  const [hi, lo] = groups(v4);
  const [notHi, notLo] = groups(v4, (n) => ~n);
  const [, , c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex2 = (x: number, y: number) => ((x << 8) | y).toString(16);
  return {
    plain: v4,
    'IPv4-mapped dotted': `::ffff:${v4}`,
    'IPv4-mapped hex': `::ffff:${hi}:${lo}`,
    'IPv4-mapped expanded upper case': `0:0:0:0:0:FFFF:${hi.toUpperCase()}:${lo.toUpperCase()}`,
    'IPv4-mapped bracketed': `[::ffff:${hi}:${lo}]`,
    'IPv4-compatible dotted': `::${v4}`,
    'IPv4-compatible hex': `::${hi}:${lo}`,
    'IPv4-translated dotted': `::ffff:0:${v4}`,
    'IPv4-translated hex': `::ffff:0:${hi}:${lo}`,
    'NAT64 well-known dotted': `64:ff9b::${v4}`,
    'NAT64 well-known hex': `64:ff9b::${hi}:${lo}`,
    'NAT64 local-use /96': `64:ff9b:1::${hi}:${lo}`,
    'NAT64 local-use /48': `64:ff9b:1:${hi}:${hex2(0, c)}:${hex2(d, 0)}::`,
    '6to4': `2002:${hi}:${lo}::1`,
    '6to4 with interface id': `2002:${hi}:${lo}:1:2:3:4:5`,
    // Server 65.54.227.120 is public; the client is the bitwise NOT of the last 32 bits.
    'Teredo client': `2001:0:4136:e378:8000:63bf:${notHi}:${notLo}`,
    // Client NOT(f7f7:f7f7) = 8.8.8.8 is public; the server sits in bits 32-63.
    'Teredo server': `2001:0:${hi}:${lo}:8000:63bf:f7f7:f7f7`,
    'with a zone id': `::ffff:${hi}:${lo}%eth0`,
  };
}

const PRIVATE_TARGETS = ['127.0.0.1', '10.0.0.1', '169.254.169.254', '192.168.1.1'];

describe('isPrivateAddress: every embedded-IPv4 spelling of a private target is refused', () => {
  const cases = PRIVATE_TARGETS.flatMap((v4) =>
    Object.entries(embeddedSpellings(v4)).map(([form, spelled]) => [v4, form, spelled] as const),
  );
  it.each(cases)('%s as %s (%s) is refused', (_v4, _form, spelled) => {
    expect(isPrivateAddress(spelled)).toBe(true);
  });

  it('covers each target in at least 18 spellings', () => {
    expect(cases.length).toBe(PRIVATE_TARGETS.length * 18);
  });
});

describe('isPrivateAddress: ranges that are not global unicast', () => {
  it.each([
    ['loopback', '127.8.9.10'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.16/12 top', '172.31.255.255'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['this network', '0.0.0.0'],
    ['this network, non-zero', '0.1.2.3'],
    ['multicast', '224.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['reserved 240/4', '240.0.0.1'],
    ['benchmarking', '198.18.0.1'],
    ['documentation TEST-NET-1', '192.0.2.1'],
    ['documentation TEST-NET-2', '198.51.100.1'],
    ['documentation TEST-NET-3', '203.0.113.1'],
    ['IETF protocol assignments', '192.0.0.8'],
    ['IPv6 loopback', '::1'],
    ['IPv6 loopback bracketed', '[::1]'],
    ['IPv6 unspecified', '::'],
    ['link-local', 'fe80::1'],
    ['link-local with zone', 'fe80::1%eth0'],
    ['unique-local', 'fd00::1'],
    ['unique-local fc00', 'fc00::1'],
    ['site-local (deprecated)', 'fec0::1'],
    ['multicast', 'ff02::1'],
    ['discard-only', '100::1'],
    ['documentation', '2001:db8::1'],
    ['documentation 3fff::/20', '3fff::1'],
    ['benchmarking', '2001:2::1'],
    ['ORCHIDv2', '2001:20::1'],
    ['segment routing', '5f00::1'],
    ['outside 2000::/3', '4000::1'],
    ['IPv4-mapped CGN', '::ffff:100.64.0.1'],
    ['NAT64 of a public address under the local-use prefix', '64:ff9b:1::808:808'],
    ['Teredo with a documentation client', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['a host name', 'localhost'],
    ['short IPv4 form', '127.1'],
    ['hex IPv4 form', '0x7f000001'],
    ['empty', ''],
  ])('%s (%s) is refused', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });
});

describe('isPrivateAddress: public addresses are allowed', () => {
  it.each([
    ['8.8.8.8', '8.8.8.8'],
    ['1.1.1.1', '1.1.1.1'],
    ['just outside 172.16/12', '172.32.0.1'],
    ['just outside 192.168/16', '192.169.0.1'],
    ['Cloudflare IPv6', '2606:4700::1111'],
    ['Cloudflare DNS IPv6', '2606:4700:4700::1111'],
    ['Google DNS IPv6', '2001:4860:4860::8888'],
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['IPv4-mapped public hex', '::ffff:808:808'],
    ['NAT64 well-known public', '64:ff9b::808:808'],
    ['6to4 public', '2002:808:808::1'],
    ['Teredo with public server and client', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
  ])('%s (%s) is allowed', (_what, address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});
