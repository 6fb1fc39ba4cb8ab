/**
 * Where a checkpoint's channel values live. A put stores the values of the channels it changed in
 * its own row (one seal, one B-tree page per put); for every other channel it names the row that
 * holds the version it points at, usually copied from its parent's homes. Stored as plaintext JSON
 * beside the sealed row and part of that row's associated data, so it cannot be altered unnoticed.
 *
 * Each entry is [channel, version, home]: home is the checkpoint id whose row holds the value, or
 * null for a value stored before migration 8 (lg_channel_values) or never stored at all.
 */
export type ChannelHome = readonly [channel: string, version: string, home: string | null];

/** The homes as stored: a JSON array of entries, in the order given. */
export function homesToText(homes: readonly ChannelHome[]): string {
  return JSON.stringify(homes);
}

/** Stored homes by channel; throws on anything homesToText did not write. */
export function homesFromText(text: string): Map<string, ChannelHome> {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('channel homes: not a list');
  const out = new Map<string, ChannelHome>();
  for (const entry of parsed) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 3 ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'string' ||
      (entry[2] !== null && typeof entry[2] !== 'string')
    ) {
      throw new Error('channel homes: malformed entry');
    }
    out.set(entry[0], entry as unknown as ChannelHome);
  }
  return out;
}
