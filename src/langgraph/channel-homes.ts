/**
 * Where a checkpoint's channel values live. A put stores the values of the channels it changed in
 * its own row (one seal, one B-tree page per put); for every other channel it names the row that
 * holds the version it points at, usually copied from its parent's homes. Stored as plaintext JSON
 * beside the sealed row and part of that row's associated data, so it cannot be altered unnoticed.
 *
 * Each entry is [channel, version, home]: home is the checkpoint id whose row holds the value, or
 * null for a value stored before migration 8 (lg_channel_values) or never stored at all. Stored,
 * an entry whose home is the row itself leaves the home out ([channel, version]): the common case
 * (a step changes most channels) stays short to store, seal over and parse.
 */
export type ChannelHome = readonly [channel: string, version: string, home: string | null];

/** The homes as stored in the row of checkpoint `self`: a JSON array of entries, in the order given. */
export function homesToText(homes: readonly ChannelHome[], self: string): string {
  return JSON.stringify(homes.map((h) => (h[2] === self ? [h[0], h[1]] : h)));
}

/** Stored homes of the row of checkpoint `self`, by channel; throws on anything homesToText did not write. */
export function homesFromText(text: string, self: string): Map<string, ChannelHome> {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('channel homes: not a list');
  const out = new Map<string, ChannelHome>();
  for (const entry of parsed) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'string' ||
      !(entry.length === 2 || (entry.length === 3 && (entry[2] === null || typeof entry[2] === 'string')))
    ) {
      throw new Error('channel homes: malformed entry');
    }
    out.set(entry[0], entry.length === 2 ? [entry[0], entry[1], self] : (entry as unknown as ChannelHome));
  }
  return out;
}
