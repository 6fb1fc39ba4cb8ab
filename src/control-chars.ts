/**
 * C0 control characters (U+0000-U+001F) and DEL (U+007F). PostgreSQL cannot store U+0000 in text at
 * all (SQLite can, so refusing it only on one engine would make the engines disagree), and the rest
 * have no business in names, ids or descriptions: they corrupt terminals and log lines. Tab, line
 * feed and carriage return are refused too: none of the NEXUS manifests seen carries one.
 */
// Built from code points: a regex literal with these characters in it is what the linter (rightly,
// elsewhere) refuses.
const CONTROL_CLASS = `[${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}]`;
export const CONTROL_CHARACTERS = new RegExp(CONTROL_CLASS);
const ALL_CONTROL_CHARACTERS = new RegExp(CONTROL_CLASS, 'g');

export const CONTROL_CHARACTERS_RULE = 'control characters (U+0000-U+001F, U+007F) are not allowed';

/**
 * The path (`a.b.0`) of the first string value or object key holding a control character anywhere
 * in a JSON-like value, or null. Iterative, so no nesting depth can overflow the stack.
 */
export function findControlCharacter(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string[] };
    if (typeof v === 'string') {
      if (CONTROL_CHARACTERS.test(v)) return pathText(path);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, String(i)] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [key] of entries) {
        if (CONTROL_CHARACTERS.test(key)) return `${pathText(path)} (a key)`;
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return null;
}

/** A path for messages: its keys joined by dots, control characters shown as \uXXXX escapes. */
function pathText(path: string[]): string {
  if (path.length === 0) return '(root)';
  return path
    .join('.')
    .replace(ALL_CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
