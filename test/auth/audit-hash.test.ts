import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditEvent } from '../../src/audit/audit-log.js';

/**
 * Known answers for the audit event hash. The hash is a stored format: verifiers outside orgvault
 * (a SIEM recomputing an export) depend on it, so it may not change silently. The digests below were
 * computed once and also by hand (sha256 of prev_hash, "\n", canonical JSON of the snake_case body).
 */
const EVENT = {
  orgId: 'acme',
  seq: 7,
  at: '2026-06-01T12:00:00.000Z',
  actorKeyId: '0123456789abcdef',
  action: 'credentials.store',
  targetType: 'module',
  targetId: 'weather/openweather',
  requestId: 'req-42',
  outcome: 'success' as const,
  details: { result: 'created', fields: ['api_key'] },
  prevHash: 'a'.repeat(64),
};

describe('audit event hash', () => {
  it('gives the known digest for a fixed event', () => {
    expect(hashAuditEvent(EVENT)).toBe('83f4329b2591529205503894eeaac42aab8fd17dc4594941838b1f77880683af');
  });

  it('gives the known digest for a first event (genesis prev_hash)', () => {
    expect(hashAuditEvent({ ...EVENT, seq: 1, prevHash: GENESIS_HASH })).toBe(
      '923bf39973ee0b58a81137c35a948d3c76990f47e09517a67543909cde416c6d',
    );
  });

  it('is sha256 over prev_hash, a newline and the canonical body', () => {
    const body =
      '{"action":"credentials.store","actor_key_id":"0123456789abcdef","at":"2026-06-01T12:00:00.000Z",' +
      '"details":{"fields":["api_key"],"result":"created"},"org_id":"acme","outcome":"success",' +
      '"request_id":"req-42","seq":7,"target_id":"weather/openweather","target_type":"module"}';
    const expected = createHash('sha256').update(EVENT.prevHash).update('\n').update(body).digest('hex');
    expect(hashAuditEvent(EVENT)).toBe(expected);
  });

  it('changes with prev_hash alone, and with every field of the body', () => {
    const base = hashAuditEvent(EVENT);
    expect(hashAuditEvent({ ...EVENT, prevHash: 'b'.repeat(64) })).not.toBe(base);
    const variants: Array<Partial<typeof EVENT> | Record<string, unknown>> = [
      { orgId: 'globex' },
      { seq: 8 },
      { at: '2026-06-01T12:00:00.001Z' },
      { actorKeyId: null },
      { action: 'credentials.delete' },
      { targetType: null },
      { targetId: 'weather/other' },
      { requestId: null },
      { outcome: 'denied' },
      { details: { result: 'replaced', fields: ['api_key'] } },
    ];
    for (const v of variants) {
      expect(hashAuditEvent({ ...EVENT, ...v } as typeof EVENT), JSON.stringify(v)).not.toBe(base);
    }
  });

  it('does not depend on the order details were written in', () => {
    expect(hashAuditEvent({ ...EVENT, details: { fields: ['api_key'], result: 'created' } })).toBe(
      hashAuditEvent(EVENT),
    );
  });
});
