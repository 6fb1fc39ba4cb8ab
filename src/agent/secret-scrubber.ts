import type { CredentialValues } from '../credentials/credential-values.js';

export const REDACTED = '[redacted]';
/** Shorter values (a region code, "true") would redact ordinary words; they are not secret enough to hunt. */
export const MIN_SECRET_LENGTH = 6;
const MAX_DEPTH = 256;

/**
 * Replaces every credential value of a module, wherever it appears in a result or an error (string
 * values, object keys, numbers), before anything leaves the runtime. The encodings a server is likely
 * to echo are hunted too: percent- and form-encoded (a query credential), JSON-escaped, hex (both
 * cases), and base64 and base64url at each of the three byte alignments (so a secret inside a
 * larger encoded blob, such as a base64 JSON document or a Basic `user:password` pair, is found too).
 */
export class SecretScrubber {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const set = new Set<string>();
    for (const s of secrets) {
      if (s.length < MIN_SECRET_LENGTH) continue;
      for (const form of [s, ...binaryForms(Buffer.from(s, 'utf8'))]) {
        const percent = encodeURIComponent(form);
        const json = JSON.stringify(form).slice(1, -1);
        set.add(form);
        set.add(percent);
        // Percent escapes are case-insensitive (%2F and %2f): servers echo either.
        set.add(percent.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
        set.add(new URLSearchParams({ v: form }).toString().slice(2));
        set.add(json);
        // JSON may escape the slash (`\/`), as PHP's json_encode does by default.
        set.add(json.replaceAll('/', '\\/'));
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...set].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  }

  /** The secrets of one module's credentials; `pairs` adds derived forms such as a Basic `user:password`. */
  static forCredentials(
    credentials: CredentialValues | null,
    pairs: Array<[string, string]> = [],
  ): SecretScrubber {
    return SecretScrubber.forCredentialSets([credentials], pairs);
  }

  /**
   * The secrets of every credential set one call held (an OAuth2 call: the stored values, then the
   * renewed ones), each with its derived pairs: the one way the runtime builds a scrubber.
   */
  static forCredentialSets(
    sets: ReadonlyArray<CredentialValues | null>,
    pairs: Array<[string, string]> = [],
  ): SecretScrubber {
    const values: string[] = [];
    for (const credentials of sets) {
      if (credentials === null) continue;
      values.push(...Object.values(credentials).map(String));
      for (const [user, password] of pairs) {
        if (!Object.hasOwn(credentials, user) || !Object.hasOwn(credentials, password)) continue;
        const u = credentials[user];
        const p = credentials[password];
        // The pair itself; its base64 (the Basic header) comes with the binary forms of every value.
        if (u !== undefined && p !== undefined) values.push(`${u}:${p}`);
      }
    }
    return new SecretScrubber(values);
  }

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /**
   * A JSON-safe, scrubbed copy of any value: what a module returns may be anything its code builds,
   * and what is stored must be plain JSON.
   */
  value(value: unknown): unknown {
    return this.walk(toJson(value), 0);
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value === 'number') {
      const s = String(value);
      return this.text(s) === s ? value : REDACTED;
    }
    if (value === null || typeof value !== 'object') return value;
    // Deeper than any sane result: cut rather than pass on what was not scanned.
    if (depth > MAX_DEPTH) return '[truncated: nested too deeply]';
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.walk(v, depth + 1);
    return out;
  }
}

function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    // Cycles or BigInt: nothing sensible to store, and nothing of it may leak.
    return '[unserializable result]';
  }
}

/**
 * Hex (lower and upper case) and the base64 / base64url text of `bytes` as it appears inside a longer
 * encoding: with 0, 1 or 2 bytes before it, only the characters determined by `bytes` alone are kept
 * (the first and last characters of a group also carry bits of the neighbours).
 */
function binaryForms(bytes: Buffer): string[] {
  const hex = bytes.toString('hex');
  const out = [hex, hex.toUpperCase()];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const start = Math.ceil((8 * lead) / 6);
    const end = Math.floor((8 * (lead + bytes.length)) / 6);
    const inner = encoded.slice(start, end);
    out.push(inner, inner.replaceAll('+', '-').replaceAll('/', '_'));
  }
  // Standalone encodings, padding included (what an upstream echoing one value sends back whole).
  out.push(bytes.toString('base64'), bytes.toString('base64url'));
  return out;
}
