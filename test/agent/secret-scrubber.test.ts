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

describe('SecretScrubber: encoded echoes (security review, finding 1)', () => {
  const secret = 'owm-0123456789abcdef';
  const scrubber = SecretScrubber.forCredentials(
    { api_key: secret, user: 'svc-user', password: 'pa55-word!' },
    [['user', 'password']],
  );
  const clean = (text: string) => expect(scrubber.text(text)).not.toMatch(/owm-0123456789abcdef|pa55-word!/);

  it('finds base64, base64url and hex (both cases) of a value', () => {
    const bytes = Buffer.from(secret);
    for (const encoded of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
    ]) {
      const out = scrubber.text(`echo: ${encoded}.`);
      expect(out).not.toContain(encoded);
      expect(out).toContain('[redacted]');
    }
  });

  it('finds the value inside a longer base64 or base64url blob, at every byte alignment', () => {
    for (const prefix of ['', 'x', 'xy', 'xyz', '{"token":"']) {
      const blob = Buffer.from(`${prefix}${secret}" and more`);
      for (const encoded of [blob.toString('base64'), blob.toString('base64url')]) {
        const out = scrubber.text(encoded);
        expect(out, prefix).toContain('[redacted]');
        // No run of the secret's own encoding survives: decode what is left and look.
        const rest = out.split('[redacted]').join('');
        expect(Buffer.from(rest, 'base64').toString('latin1')).not.toContain(secret);
      }
    }
  });

  it('finds the Basic pair, plain and encoded, and percent-encoded base64', () => {
    const pair = 'svc-user:pa55-word!';
    const b64 = Buffer.from(pair).toString('base64');
    clean(`Authorization: Basic ${b64}`);
    clean(pair);
    clean(`q=${encodeURIComponent(Buffer.from(secret).toString('base64'))}`);
    clean(Buffer.from(pair).toString('hex'));
  });

  it('leaves ordinary text alone', () => {
    expect(scrubber.text('the weather in Oslo is 4 °C')).toBe('the weather in Oslo is 4 °C');
  });
});

describe('SecretScrubber: spellings the review found (lowercase percent escapes, JSON \\/)', () => {
  const secret = 'a/b+c=d?e&f-123';
  const scrubber = SecretScrubber.forCredentials({ k: secret });
  it('finds lowercase percent escapes and a JSON-escaped slash', () => {
    const lower = encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    expect(lower).not.toBe(encodeURIComponent(secret));
    expect(scrubber.text(`q=${lower}`)).toBe('q=[redacted]');
    expect(scrubber.text(`{"k":"${secret.replaceAll('/', '\\/')}"}`)).toBe('{"k":"[redacted]"}');
  });
});
