import { hasPermission, type Permission } from '../auth/permissions.js';
import type { AuthContext } from '../http/route-config.js';
import { type Html, html } from './html.js';

/** What every page of a signed-in caller needs to draw its frame. */
export interface PageContext {
  auth: AuthContext;
  /** The CSRF token every form of this page carries. */
  csrf: string;
}

interface NavItem {
  href: string;
  label: string;
  permission: Permission;
}

const NAV: NavItem[] = [
  { href: '/console', label: 'Overview', permission: 'read_config' },
  { href: '/console/modules', label: 'Modules', permission: 'read_config' },
  { href: '/console/credentials', label: 'Credentials', permission: 'read_config' },
  { href: '/console/keys', label: 'API keys', permission: 'manage_keys' },
  { href: '/console/audit', label: 'Audit', permission: 'read_audit' },
  { href: '/console/conversations', label: 'Conversations', permission: 'read_config' },
];

/** Whether the signed-in role may use a control (controls it may not use are not drawn). */
export function may(ctx: PageContext, permission: Permission): boolean {
  return hasPermission(ctx.auth.role, permission);
}

/** The hidden field every state-changing form carries. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

function shell(title: string, body: Html, header: Html | null): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · orgvault</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
${header}
<main id="main">${body}</main>
</body>
</html>`;
}

/** A page of the signed-in console: top bar with org and role, navigation, sign-out. */
export function page(
  ctx: PageContext,
  active: string,
  title: string,
  body: Html,
  notice?: Html | null,
): Html {
  const nav = NAV.filter((n) => may(ctx, n.permission)).map(
    (n) =>
      html`<a href="${n.href}" class="${n.href === active ? 'active' : ''}" ${n.href === active ? html`aria-current="page"` : ''}>${n.label}</a>`,
  );
  const header = html`<header class="top">
  <a class="brand" href="/console">orgvault</a>
  <span class="who"><span class="org" data-testid="org">${ctx.auth.orgId}</span> <span class="badge role-${ctx.auth.role}" data-testid="role">${ctx.auth.role}</span></span>
  <form method="post" action="/console/sign-out" class="signout">${csrfField(ctx.csrf)}<button type="submit" class="link">Sign out</button></form>
  <nav class="tabs" aria-label="Console">${nav}</nav>
</header>`;
  return shell(title, html`${notice ?? ''}<h1>${title}</h1>${body}`, header);
}

/** A page without a session (sign-in, signed-out errors). */
export function barePage(title: string, body: Html): Html {
  return shell(title, body, html`<header class="top"><span class="brand">orgvault</span></header>`);
}

/** A coloured status word. */
export function badge(text: string, tone?: string): Html {
  return html`<span class="badge ${tone ?? `s-${text}`}">${text}</span>`;
}

export function notice(kind: 'ok' | 'error', text: string): Html {
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`;
}

/** An empty table's replacement: what is missing and what to do next. */
export function emptyState(title: string, next: Html | string): Html {
  return html`<div class="empty"><p class="empty-title">${title}</p><p>${next}</p></div>`;
}
