/**
 * Domain events travel between subgraphs as envelopes. Consumers must tolerate duplicates (they
 * remember processed ids) and any order between unrelated aggregates.
 */
export interface EventEnvelope<TType extends string = string, TPayload = unknown> {
  /** Unique per event; consumers deduplicate on it. */
  id: string;
  type: TType;
  /** The subgraph that wrote it. */
  source: string;
  occurredAt: string;
  payload: TPayload;
  /** W3C trace context (`traceparent`) of the work that recorded it, so its handling joins that trace. */
  trace?: Record<string, string>;
}

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface EventBus {
  publish(events: EventEnvelope[]): Promise<void>;
  /**
   * Delivers every event to one member of the consumer group, at least once: an event whose handler
   * throws is delivered again later. Returns a function that stops the subscription.
   */
  subscribe(group: string, handler: EventHandler): Promise<() => Promise<void>>;
  /**
   * Every event published from now on, in every process that tails: for live fan-out (subscriptions),
   * where each instance serves its own connected clients. Nothing is retried or remembered.
   */
  tail(handler: EventHandler): Promise<() => Promise<void>>;
  /** Events a consumer group has not yet handled (not yet delivered, or delivered and not acknowledged). */
  backlog(group: string): Promise<number>;
  close(): Promise<void>;
}
