import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses an HTTP module may reach unless ORGVAULT_HTTP_ALLOW_PRIVATE=1: global unicast
 * only, deny by default. The ranges come from ipaddr.js (RFC 6890 and successors), not from a list
 * kept here: IPv4 must classify as `unicast` (so loopback, private, link-local -- cloud metadata
 * lives at 169.254.169.254 --, carrier-grade NAT, benchmarking, documentation, reserved, multicast,
 * broadcast and unspecified are refused); IPv6 must classify as `unicast` and lie in 2000::/3.
 *
 * An IPv6 address that carries an IPv4 one is judged by that IPv4 address, since that is where the
 * packets end up: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (`::7f00:1`),
 * IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16` (bits 16-47) and
 * Teredo `2001::/32` (server in bits 32-63, client as the bitwise NOT of the last 32 bits; both must
 * be public). The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) is refused whole: each network
 * picks its own prefix length there, so where the IPv4 sits cannot be known, and it is not globally
 * reachable anyway.
 */
export function isPrivateAddress(address: string): boolean {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // A zone id (fe80::1%eth0) names an interface, not a different address.
  const bare = unbracketed.split('%')[0] ?? '';
  // net.isIP is strict (no `127.1`, no octal); anything that is not plainly an IP counts as private.
  const family = isIP(bare);
  if (family === 4) return !isGlobalIpv4(ipaddr.IPv4.parse(bare));
  if (family === 6) return !isGlobalIpv6(ipaddr.IPv6.parse(bare));
  return true;
}

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const WELL_KNOWN_NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function isGlobalIpv4(address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast';
}

function isGlobalIpv6(address: ipaddr.IPv6): boolean {
  const embedded = embeddedIpv4(address);
  if (embedded === 'opaque') return false;
  if (embedded !== null) return embedded.every(isGlobalIpv4);
  return address.range() === 'unicast' && address.match(GLOBAL_UNICAST_V6);
}

/** An IPv4 address from two 16-bit parts. */
const fromParts = (high: number, low: number): ipaddr.IPv4 =>
  new ipaddr.IPv4([(high >> 8) & 0xff, high & 0xff, (low >> 8) & 0xff, low & 0xff]);

/**
 * The IPv4 addresses an IPv6 address delivers to (every one must be public), null when it embeds
 * none, 'opaque' when it embeds one at a place that cannot be known.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] | 'opaque' | null {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  const low32 = fromParts(p[6], p[7]);
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [low32];
    case 'rfc6052':
      return address.match(WELL_KNOWN_NAT64) ? [low32] : 'opaque';
    case '6to4':
      return [fromParts(p[1], p[2])];
    case 'teredo':
      return [fromParts(p[2], p[3]), fromParts(~p[6] & 0xffff, ~p[7] & 0xffff)];
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); :: and ::1 land in 0/8.
      return p.slice(0, 6).every((part) => part === 0) ? [low32] : null;
  }
}
