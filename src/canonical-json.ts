/**
 * Canonical JSON: object keys sorted, undefined members left out, so that a hash or a digest of a
 * value depends on its content and never on the order its properties were written in.
 *
 * The text is a stored format (audit hashes, credential destination digests): it must never change.
 * Written as plain loops rather than sort/filter/map/join chains because every audited write and
 * every credential seal or open runs it (issue 14); the output is the same, including for arrays
 * (an undefined item leaves an empty slot, as `join` did).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // undefined for an undefined item, a hole, a function or a symbol: an empty slot.
      const item = canonicalJson(value[i]) as string | undefined;
      if (item !== undefined) out += item;
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const key of keys) {
    const member = obj[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}
