import type { AuditRow } from '../storage/rows.js';

/** An audit event as the API and the export show it (snake_case); the list route omits org_id. */
export function auditEventJson(e: AuditRow) {
  return {
    seq: e.seq,
    at: e.at,
    actor_key_id: e.actorKeyId,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    request_id: e.requestId,
    outcome: e.outcome,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

/**
 * One NDJSON line of an export. It carries org_id, which the event's hash covers, so a SIEM can
 * recompute the chain from the export alone.
 */
export function auditExportLine(e: AuditRow): string {
  return `${JSON.stringify({ org_id: e.orgId, ...auditEventJson(e) })}\n`;
}
