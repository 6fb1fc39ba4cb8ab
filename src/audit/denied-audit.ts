import { type Clock, isoNow } from '../clock.js';
import { orgScope, type Storage } from '../storage/storage.js';
import type { AuditLog } from './audit-log.js';

/** What a refused request was: the route template and method, never its URL, query or body. */
export interface DeniedRequest {
  orgId: string;
  keyId: string;
  requestId: string | null;
  method: string;
  /** The route template as registered (e.g. `/v1/api-keys/:key_id`). */
  route: string;
  permission: string;
  /** Why a route refused after the permission check passed (e.g. CREDENTIAL_DESTINATION). */
  reason?: string | undefined;
}

export interface DeniedAuditOptions {
  storage: Storage;
  audit: AuditLog;
  clock: Clock;
  /** Denied events written per key in any rolling window (default 10). */
  perWindow?: number;
  windowMs?: number;
  /** Keys tracked at once; the oldest is forgotten beyond it (default 10,000). */
  maxKeys?: number;
}

interface KeyWindow {
  /** Times (ms) of the denied events written within the window, oldest first. */
  written: number[];
  /** Refusals not written since the last written one. */
  suppressed: number;
}

/**
 * Audits refusals of authenticated callers (403: the key lacks the permission) as `denied` events in
 * the caller's own org, at most `perWindow` per key per rolling minute, so a loop of refusals cannot
 * flood the chain. The rest are counted and the next written event says how many were left out
 * (`suppressed`). The window lives in this process's memory, bounded in size; with several nodes
 * each node has its own bound.
 */
export class DeniedAudit {
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly windows = new Map<string, KeyWindow>();

  constructor(options: DeniedAuditOptions) {
    this.storage = options.storage;
    this.audit = options.audit;
    this.clock = options.clock;
    this.perWindow = options.perWindow ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Writes the denied event, or counts it when the key is over its bound; true when written. */
  async record(denied: DeniedRequest): Promise<boolean> {
    const now = this.clock().getTime();
    const window = this.windowOf(denied.keyId);
    while (window.written.length > 0 && (window.written[0] as number) <= now - this.windowMs) {
      window.written.shift();
    }
    if (window.written.length >= this.perWindow) {
      window.suppressed += 1;
      return false;
    }
    window.written.push(now);
    const suppressed = window.suppressed;
    window.suppressed = 0;
    const details: Record<string, unknown> = {
      method: denied.method,
      route: denied.route,
      permission: denied.permission,
      ...(denied.reason !== undefined ? { reason: denied.reason } : {}),
      ...(suppressed > 0 ? { suppressed } : {}),
    };
    await this.storage.transaction(orgScope(denied.orgId), (tx) =>
      this.audit.append(
        tx,
        denied.orgId,
        { actorKeyId: denied.keyId, requestId: denied.requestId },
        { action: 'denied', outcome: 'denied', targetType: 'route', targetId: denied.route, details },
        isoNow(this.clock),
      ),
    );
    return true;
  }

  private windowOf(keyId: string): KeyWindow {
    let window = this.windows.get(keyId);
    if (window !== undefined) return window;
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    window = { written: [], suppressed: 0 };
    this.windows.set(keyId, window);
    return window;
  }
}
