/**
 * Identical subgraph reads in flight at the same moment share one request: the same subgraph, the
 * same viewer and the same body (document, variables, representations) ask the same question, so a
 * second asker waits for the first one's answer instead of sending it again. Only the lean executor
 * uses it, and it runs queries only: a mutation is never shared. The answer is kept as text and
 * each asker parses its own copy, since the executor merges answers into its response in place.
 * Nothing is cached: an entry lives only while its request is in flight.
 */
export interface RawAnswer {
  status: number;
  text: string;
}

export class InFlightReads {
  private readonly pending = new Map<string, Promise<RawAnswer>>();

  /** The answer to `key`: from the request in flight for it (`onShared` told), else from `send`, shared until it settles. */
  ask(key: string, send: () => Promise<RawAnswer>, onShared?: () => void): Promise<RawAnswer> {
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
