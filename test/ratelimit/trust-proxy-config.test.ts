import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const trust = (value: string | undefined) => loadConfig({}, { ORGVAULT_TRUST_PROXY: value }).trustProxy;

/** ORGVAULT_TRUST_PROXY: a hop count or the proxies' addresses, never "trust every proxy". */
describe('ORGVAULT_TRUST_PROXY', () => {
  it('unset, empty or 0 trusts no proxy', () => {
    expect(trust(undefined)).toBe(false);
    expect(trust('')).toBe(false);
    expect(trust('0')).toBe(false);
  });

  it('a whole number is a hop count: a bare 1 is the one proxy directly in front', () => {
    expect(trust('1')).toBe(1);
    expect(trust('2')).toBe(2);
  });

  it('a comma-separated list of addresses, CIDRs and proxy-addr names is kept as a list', () => {
    expect(trust('10.0.0.1, 192.168.0.0/16,::1,fd00::/8, loopback')).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('"trust everything" and anything that is not an address are configuration errors', () => {
    for (const bad of [
      'true',
      'TRUE',
      'yes',
      'all',
      '*',
      'proxy.internal',
      '10.0.0.0/33',
      '10.0.0.1,nope',
      '33',
    ]) {
      expect(() => trust(bad), bad).toThrow(/ORGVAULT_TRUST_PROXY/);
    }
  });
});
