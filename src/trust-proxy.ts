import { isIP } from 'node:net';

/**
 * Which proxies in front of orgvault are believed when they say who the client is
 * (X-Forwarded-For): none (`false`), the nearest N hops, or the proxies at the listed addresses,
 * CIDR ranges or proxy-addr names (`loopback`, `linklocal`, `uniquelocal`). Never "everyone": a
 * direct client could then name any address it likes and escape every per-client limit.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 32;

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Parses ORGVAULT_TRUST_PROXY. Empty or `0`: trust nothing. A whole number N (1..32): the nearest N
 * hops, so a bare `1` is the one proxy directly in front. Anything else: a comma-separated list of
 * addresses/CIDRs/names. `true`, `yes`, `all` and `*` are refused (they used to mean "trust
 * everything"); so is any entry that is not an address. Returns an error message instead of throwing.
 */
export function parseTrustProxy(
  raw: string | undefined,
): { ok: true; value: TrustProxy } | { ok: false; message: string } {
  const text = (raw ?? '').trim();
  if (text === '' || text === '0' || text.toLowerCase() === 'false' || text.toLowerCase() === 'no') {
    return { ok: true, value: false };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) return { ok: false, message: `a hop count must be between 0 and ${MAX_HOPS}` };
    return { ok: true, value: hops };
  }
  if (['true', 'yes', 'all', '*'].includes(text.toLowerCase())) {
    return {
      ok: false,
      message:
        "trusting every proxy is not supported: give a hop count (1 = the proxy directly in front) or the proxies' addresses/CIDRs",
    };
  }
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.find((e) => !isAddressOrRange(e));
  if (bad !== undefined) {
    return { ok: false, message: 'must be a hop count or a comma-separated list of IP addresses or CIDRs' };
  }
  return { ok: true, value: entries };
}

/**
 * What Fastify's `trustProxy` option gets. An address list goes as it is (proxy-addr checks each hop
 * against it). A hop count becomes a function: Fastify 5.12 treats a bare number as "trust nothing"
 * (fail closed), and the hop count trusts the socket peer whoever it is, so it is only right where
 * orgvault cannot be reached except through that many proxies (see the README).
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') {
    if (trust === 0) return false;
    return (_address: string, hop: number) => hop < trust;
  }
  return trust;
}
