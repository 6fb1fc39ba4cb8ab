/**
 * Sliding-log rate counting: a key may have at most `limit` recorded hits in any rolling window of
 * `windowMs`. Exact (no boundary burst as with fixed windows); memory is one timestamp per accepted
 * hit still inside the window. Implemented in memory (one process) and in Redis (every node shares it).
 */
export type WindowDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface WindowStore {
  /** Records a hit unless the key already has `limit` in the window (check and record are atomic). */
  take(key: string, limit: number, windowMs: number): Promise<WindowDecision>;
  /**
   * take() answered at once, where the store can without waiting (in memory): the same check and
   * record, without the promises a request would otherwise pay for. Absent on stores that must wait.
   */
  takeNow?(key: string, limit: number, windowMs: number): WindowDecision;
  /** The decision take() would make, without recording anything. */
  peek(key: string, limit: number, windowMs: number): Promise<WindowDecision>;
  /** Records a hit unconditionally (e.g. a failed authentication). */
  hit(key: string, windowMs: number): Promise<void>;
  close(): Promise<void>;
}
