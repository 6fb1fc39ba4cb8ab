/**
 * Concurrent calls for one key share one run: the first starts it, the others await its result
 * (or its failure). Across processes the storage lock takes over (see TokenBroker).
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current !== undefined) return current;
    const started = fn().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
