import { describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../src/agent/secret-scrubber.js';

describe('SecretScrubber', () => {
  const scrubber = SecretScrubber.forCredentials(
    { api_key: 'sk-live-ABCDEF', short: 'abc', pin: 12345678, odd: 'a+b/c d"e' },
    [['api_key', 'pin']],
  );

  it('replaces values of at least 6 characters wherever they appear, keys included', () => {
    expect(
      scrubber.value({
        msg: 'bad key sk-live-ABCDEF, again sk-live-ABCDEF',
        nested: [{ 'sk-live-ABCDEF': true }],
        short: 'abc stays',
        n: 12345678,
      }),
    ).toEqual({
      msg: 'bad key [redacted], again [redacted]',
      nested: [{ '[redacted]': true }],
      short: 'abc stays',
      n: '[redacted]',
    });
  });

  it('finds percent-encoded, form-encoded, JSON-escaped and Basic (base64 pair) forms', () => {
    const basic = Buffer.from('sk-live-ABCDEF:12345678').toString('base64');
    expect(scrubber.text(`q=${encodeURIComponent('a+b/c d"e')}`)).toBe('q=[redacted]');
    expect(scrubber.text(`q=${new URLSearchParams({ x: 'a+b/c d"e' }).toString().slice(2)}`)).toBe(
      'q=[redacted]',
    );
    expect(scrubber.text(JSON.stringify({ v: 'a+b/c d"e' }))).toBe('{"v":"[redacted]"}');
    expect(scrubber.text(`Authorization: Basic ${basic}`)).toBe('Authorization: Basic [redacted]');
  });

  it('turns anything into plain JSON (undefined, dates, cycles)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(scrubber.value(undefined)).toBeNull();
    expect(scrubber.value(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(scrubber.value(cyclic)).toBe('[unserializable result]');
  });

  it('cuts what is nested too deeply to scan instead of passing it on', () => {
    let deep: unknown = 'sk-live-ABCDEF';
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(JSON.stringify(scrubber.value(deep))).not.toContain('sk-live-ABCDEF');
    expect(JSON.stringify(scrubber.value(deep))).toContain('[truncated: nested too deeply]');
  });

  it('a credential containing another is replaced whole', () => {
    const s = new SecretScrubber(['secret', 'secret-extended']);
    expect(s.text('x secret-extended y')).toBe('x [redacted] y');
  });
});
