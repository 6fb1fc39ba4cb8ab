/** Deeper than any manifest or credential object needs; deep enough to refuse before recursion. */
export const MAX_JSON_DEPTH = 64;

/**
 * Nesting depth of a JSON text, by one pass over its characters (no recursion, so a hostile body of
 * thousands of `[` cannot exhaust the stack here or in the validators, serializers and hashes that
 * would otherwise walk it). Brackets inside strings do not count.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
