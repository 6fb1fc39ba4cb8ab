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
  /** The checkpoint without its channel values (they are stored apart, per channel version). */
  checkpoint: Typed;
  metadata: Typed;
}

/** A channel value introduced by a checkpoint; `value` null when the channel is empty at that version. */
export interface ChannelValue {
  channel: string;
  version: string;
  value: Typed | null;
}

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

/** What the caller's decoder makes of an opened checkpoint, and which channel versions to fetch with it. */
export interface DecodedCheckpoint<T> {
  decoded: T;
  channels: ReadonlyArray<readonly [channel: string, version: string]>;
}

/** A checkpoint read together with its channel values and pending writes (one read). */
export interface LoadedCheckpoint<T> {
  stored: ThreadCheckpoint;
  decoded: T;
  values: Map<string, Typed>;
  writes: ThreadWrite[];
}
