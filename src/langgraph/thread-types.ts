/**
 * What the saver hands the thread service and gets back: serde output (`[type, bytes]`, as
 * LangGraph's SerializerProtocol.dumpsTyped returns it), never a LangGraph type, so the package
 * root does not depend on @langchain at all.
 */
export type Typed = readonly [type: string, bytes: Uint8Array];

export interface ThreadCheckpoint {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId: string | null;
  /** The checkpoint with the values of the channels it changed (the others are in earlier rows). */
  checkpoint: Typed;
  metadata: Typed;
}

/** A channel version: what a checkpoint names, or changed. */
export type ChannelVersion = readonly [channel: string, version: string];

export interface ThreadWrite {
  taskId: string;
  /** LangGraph's index: the write's position, or a negative one for special channels (errors, interrupts). */
  idx: number;
  taskPath: string;
  channel: string;
  value: Typed;
}

/** Which checkpoints to list: null means any; `before` is an exclusive checkpoint id bound. */
export interface ThreadQuery {
  threadId: string | null;
  checkpointNs: string | null;
  checkpointId: string | null;
  before: string | null;
  limit: number | null;
}

/** What the caller's decoder makes of an opened checkpoint, and which channel versions it names. */
export interface DecodedCheckpoint<T> {
  decoded: T;
  channels: readonly ChannelVersion[];
}

/** A checkpoint read together with where its channel values are, and its pending writes (one read). */
export interface LoadedCheckpoint<T> {
  stored: ThreadCheckpoint;
  decoded: T;
  /** Channels whose value (at the version named) is in this checkpoint's own row, i.e. in `decoded`. */
  own: string[];
  /** Channels whose value is in an earlier checkpoint's row: that checkpoint, decoded. */
  borrowed: [channel: string, holder: T][];
  /** Channels whose value was stored before migration 8, in a row of its own. */
  values: [channel: string, value: Typed][];
  writes: ThreadWrite[];
}
