import type { ModuleRecord } from '../modules/module-record.js';
import type { Html } from './html.js';
import { badge } from './layout.js';

const STATUS_TONE: Record<string, string> = {
  installed: 'good',
  disabled: 'muted',
  failed: 'bad',
  uninstalled: 'muted',
};
const HEALTH_TONE: Record<string, string> = {
  healthy: 'good',
  degraded: 'warn',
  unhealthy: 'bad',
  unknown: 'muted',
};

export function statusBadge(m: ModuleRecord): Html {
  return badge(m.status, STATUS_TONE[m.status] ?? 'info');
}

export function healthBadge(m: ModuleRecord): Html {
  return badge(m.healthStatus, HEALTH_TONE[m.healthStatus] ?? 'muted');
}

export function moduleHref(moduleId: string): string {
  return `/console/modules/${moduleId}`;
}

/** The manifest's display name, else its name. */
export function displayName(m: ModuleRecord): string {
  const d = m.manifest.display_name;
  return typeof d === 'string' && d !== '' ? d : m.name;
}

/** Whether the manifest describes an OAuth2 module (its "Connect" button). */
export function isOAuth(m: ModuleRecord): boolean {
  const o = m.manifest.oauth2;
  return typeof o === 'object' && o !== null;
}
