import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import { inBackground } from '../background';
import { publishSpan } from './tracing';
import type { EventPayloads, EventType } from './catalog';
import type { EventBus, EventEnvelope } from './types';

/**
 * Writes an event in the same transaction as the change it reports, so that the change and its
 * event commit or roll back together. The relay publishes it afterwards.
 */
export async function recordEvent<T extends EventType>(
  manager: EntityManager,
  source: string,
  type: T,
  payload: EventPayloads[T],
): Promise<EventEnvelope<T, EventPayloads[T]>> {
  const event: EventEnvelope<T, EventPayloads[T]> = { id: randomUUID(), type, source, occurredAt: new Date().toISOString(), payload };
  event.trace = publishSpan(event);
  await manager.query(`INSERT INTO outbox (id, type, payload, occurred_at) VALUES ($1, $2, $3, $4)`, [
    event.id,
    type,
    JSON.stringify(event),
    event.occurredAt,
  ]);
  return event;
}

/**
 * Moves committed outbox rows to the bus, oldest first. Polls, and wakes at once when a writer
 * says it committed, so that events usually leave within milliseconds.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  private published?: Counter<'type'>;

  /** Counts what leaves, by event type: business activity as operators watch it (payments, refunds, orders). */
  register(registry: Registry): void {
    this.published = new Counter({ name: 'events_published_total', help: 'Events published from the outbox, by type', labelNames: ['type'], registers: [registry] });
  }

  start(): void {
    this.schedule();
  }

  /** Relay now; writers call it after their transaction commits. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // a run publishes what many requests recorded: it belongs to none of their traces
    this.running = inBackground(() => this.drain()).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves once every row committed before the call has been published. */
  async flush(): Promise<void> {
    this.wake();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.wake();
      this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const published = await this.db.transaction(async (manager) => {
          // SKIP LOCKED lets several instances relay one outbox without publishing a row twice at once.
          const rows: { id: string; payload: EventEnvelope | string }[] = await manager.query(
            `SELECT id, payload FROM outbox WHERE published_at IS NULL ORDER BY occurred_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
          );
          if (rows.length === 0) return 0;
          const events = rows.map((r): EventEnvelope => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
          await this.bus.publish(events);
          await manager.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
          for (const event of events) this.published?.inc({ type: event.type });
          return rows.length;
        });
        if (published < 100) return;
      }
    } catch (error) {
      this.logger.warn('outbox relay failed; will retry', { error });
    }
  }
}
