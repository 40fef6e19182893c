import type { Logger } from '../logger';
import type { EventBus, EventEnvelope, EventHandler } from './types';

/**
 * The embedded default: every subgraph in one process shares it. Same contract as the broker:
 * one delivery per consumer group, retried with backoff while the handler throws.
 */
export class InProcessBus implements EventBus {
  private readonly groups = new Map<string, EventHandler[]>();
  private readonly tails = new Set<EventHandler>();
  private readonly pending = new Set<Promise<void>>();
  private readonly pendingByGroup = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly logger: Logger,
    /** Backoff between attempts; the last delay repeats until the handler succeeds or the bus closes. */
    private readonly retryDelaysMs = [50, 200, 1000, 5000],
  ) {}

  async publish(events: EventEnvelope[]): Promise<void> {
    for (const event of events) {
      for (const tail of this.tails) {
        void Promise.resolve()
          .then(() => tail(event))
          .catch((error: unknown) => this.logger.warn('live event handler failed', { type: event.type, error }));
      }
      for (const [group, members] of this.groups) {
        // round-robin is pointless in one process: the first member of a group gets it
        const delivery = this.deliver(group, members[0], event);
        this.pending.add(delivery);
        this.pendingByGroup.set(group, (this.pendingByGroup.get(group) ?? 0) + 1);
        void delivery.finally(() => {
          this.pending.delete(delivery);
          this.pendingByGroup.set(group, (this.pendingByGroup.get(group) ?? 1) - 1);
        });
      }
    }
  }

  async subscribe(group: string, handler: EventHandler): Promise<() => Promise<void>> {
    this.groups.set(group, [...(this.groups.get(group) ?? []), handler]);
    return async () => {
      const rest = (this.groups.get(group) ?? []).filter((h) => h !== handler);
      if (rest.length) this.groups.set(group, rest);
      else this.groups.delete(group);
    };
  }

  async tail(handler: EventHandler): Promise<() => Promise<void>> {
    this.tails.add(handler);
    return async () => void this.tails.delete(handler);
  }

  async backlog(group: string): Promise<number> {
    return this.pendingByGroup.get(group) ?? 0;
  }

  /** Resolves once every delivery in flight has finished: tests use it to wait for consumers. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    this.groups.clear();
    this.tails.clear();
  }

  private async deliver(group: string, handler: EventHandler, event: EventEnvelope): Promise<void> {
    await Promise.resolve(); // never run a consumer inside the publisher's call stack
    for (let attempt = 0; ; attempt++) {
      try {
        await handler(event);
        return;
      } catch (error) {
        if (this.closed) {
          this.logger.error('event left unhandled at shutdown', { group, type: event.type, id: event.id, error });
          return;
        }
        const delay = this.retryDelaysMs[Math.min(attempt, this.retryDelaysMs.length - 1)];
        this.logger.warn('event handler failed; retrying', { group, type: event.type, id: event.id, attempt, error });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
