/**
 * HTML built from template literals: every interpolated value is escaped unless it is already Html
 * (made by this tag). Pages are assembled from these, so a module name or an audit detail can never
 * become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** A date as people read it (UTC, to the minute), or a dash. */
export function when(iso: string | null | undefined): Html {
  if (iso === null || iso === undefined) return html`<span class="muted">—</span>`;
  const shown = iso.replace('T', ' ').slice(0, 16);
  return html`<time datetime="${iso}">${shown} UTC</time>`;
}
