/**
 * Several byte strings in one plaintext (one seal, one nonce): each part is a 4-byte big-endian
 * length and its bytes. Lets a checkpoint and its metadata, or a value and its serde type, travel
 * under one AES-GCM tag, so neither can be swapped for another row's.
 */
export function packParts(parts: readonly Uint8Array[]): Buffer {
  const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.writeUInt32BE(part.length, at);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/** The parts of a packed plaintext; throws when the layout is not one packParts wrote. */
export function unpackParts(packed: Buffer, count: number): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (parts.length < count) {
    if (at + 4 > packed.length) throw new Error('sealed langgraph value: truncated');
    const length = packed.readUInt32BE(at);
    if (at + 4 + length > packed.length) throw new Error('sealed langgraph value: truncated');
    parts.push(packed.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== packed.length) throw new Error('sealed langgraph value: trailing bytes');
  return parts;
}
