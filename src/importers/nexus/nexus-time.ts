import { ImportError } from './import-error.js';

/** NEXUS wrote Python's isoformat(): usually without a zone (meaning UTC), sometimes with +00:00. */
const NEXUS_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Converts a NEXUS timestamp to orgvault's form (`2026-01-02T03:04:05.678Z`). Precision below the
 * millisecond is dropped: orgvault stores milliseconds. `where` names the row for the error.
 */
export function nexusTimeToIso(value: string, where: string): string {
  const m = NEXUS_TIME.exec(value.trim());
  if (m === null) throw new ImportError(`${where}: "${value}" is not an ISO-8601 timestamp`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const normalizedZone =
    zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${normalizedZone}`);
  // Date rolls 2026-02-30 over to March; a calendar check of the parts refuses it instead.
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(date.getTime()) ||
    calendar.getUTCMonth() !== Number(mo) - 1 ||
    calendar.getUTCDate() !== Number(d)
  ) {
    throw new ImportError(`${where}: "${value}" is not a valid date`);
  }
  return date.toISOString();
}

/** Same, for columns NEXUS left NULL when the event never happened. */
export function optionalNexusTime(value: string | null | undefined, where: string): string | null {
  return value === null || value === undefined || value === '' ? null : nexusTimeToIso(value, where);
}
