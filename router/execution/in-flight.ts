/**
 * Identical subgraph reads in flight at the same moment share one request: the same subgraph, the
 * same viewer and the same body (document, variables, representations) ask the same question, so a
 * second asker waits for the first one's answer instead of sending it again. Only the lean executor
 * uses it, and it runs queries only: a mutation is never shared. The answer is parsed once and every
 * asker reads the same one: the executor merges answers without changing them (see merge.ts).
 * Nothing is cached: an entry lives only while its request is in flight.
 */
export class InFlightReads<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** The answer to `key`: from the request in flight for it (`onShared` told), else from `send`, shared until it settles. */
  ask(key: string, send: () => Promise<T>, onShared?: () => void): Promise<T> {
    const inFlight = this.pending.get(key);
    if (inFlight) {
      onShared?.();
      return inFlight;
    }
    const answer = send().finally(() => this.pending.delete(key));
    this.pending.set(key, answer);
    return answer;
  }

  get size(): number {
    return this.pending.size;
  }
}
