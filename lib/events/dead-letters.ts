import type { DataSource } from 'typeorm';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isUuid } from '../ids';
import type { Logger } from '../logger';
import { startPeriodic } from '../periodic';
import type { EventBus, EventEnvelope, EventHandler } from './types';

export interface DeadLetterSettings {
  /** Failed deliveries of one event to one consumer before it is set aside. */
  maxAttempts: number;
  /** How often a consumer looks for dead letters an operator asked to replay. */
  replayPollMs: number;
}

/** A dead letter as operators see it (`npm run events -- dead-letters`). */
export interface DeadLetter {
  consumer: string;
  eventId: string;
  type: string;
  attempts: number;
  lastError: string;
  deadAt: string;
  replayRequested: boolean;
}

interface FailureRow {
  consumer: string;
  event_id: string;
  event: EventEnvelope | string;
  attempts: number;
  last_error: string;
  dead_at: Date | string;
  replay_requested_at: Date | string | null;
}

const envelopeOf = (value: EventEnvelope | string): EventEnvelope => (typeof value === 'string' ? (JSON.parse(value) as EventEnvelope) : value);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/**
 * No event is retried forever. Each failed delivery of an event to a consumer is counted in the
 * consumer's own database (`event_failures`, beside its processed ids), so the count holds across
 * instances and restarts; at `maxAttempts` the event becomes a dead letter: it is acknowledged, so
 * that the stream moves on, kept with its last error, shown in metrics, and listed and replayed from
 * the command line. A replay runs the consumer's own handler again, for that consumer only.
 */
export class DeadLetters {
  /** Events that failed here at least once: their count is cleared when they finally succeed. */
  private readonly failing = new Set<string>();
  private handled?: Counter<'consumer' | 'outcome'>;

  constructor(
    private readonly db: DataSource,
    private readonly settings: DeadLetterSettings,
    private readonly logger: Logger,
  ) {}

  /** The bus as consumers should see it: every subscription's handler guarded and replayable. */
  protect(bus: EventBus): EventBus {
    return {
      publish: (events) => bus.publish(events),
      tail: (handler) => bus.tail(handler),
      backlog: (group) => bus.backlog(group),
      close: () => bus.close(),
      subscribe: async (group, handler) => {
        const unsubscribe = await bus.subscribe(group, this.guard(group, handler));
        const stopReplays = startPeriodic(`replaying ${group}'s dead letters`, this.settings.replayPollMs, () => this.replayRequested(group, handler), this.logger);
        return async () => {
          await stopReplays();
          await unsubscribe();
        };
      },
    };
  }

  /** Events handled by consumer and outcome, and dead letters by consumer (read from the database when scraped). */
  register(registry: Registry): void {
    this.handled = new Counter({
      name: 'events_handled_total',
      help: 'Event deliveries to consumers by outcome: ok, failed (to be retried), dead (set aside)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    });
    const db = this.db;
    new Gauge({
      name: 'events_dead_letters',
      help: 'Events set aside after too many failed deliveries, by consumer, until replayed',
      labelNames: ['consumer'],
      registers: [registry],
      async collect() {
        const rows: { consumer: string; n: string | number }[] = await db.query(
          `SELECT consumer, count(*) AS n FROM event_failures WHERE dead_at IS NOT NULL GROUP BY consumer`,
        );
        this.reset();
        for (const row of rows) this.set({ consumer: row.consumer }, Number(row.n));
      },
    });
  }

  private guard(consumer: string, handler: EventHandler): EventHandler {
    return async (event) => {
      try {
        await handler(event);
      } catch (error) {
        let attempts: number;
        try {
          attempts = await this.countFailure(consumer, event, error);
        } catch {
          throw error; // the database is away too: the bus retries, and counts again then
        }
        this.failing.add(event.id);
        const dead = attempts >= this.settings.maxAttempts;
        this.handled?.inc({ consumer, outcome: dead ? 'dead' : 'failed' });
        if (!dead) throw error;
        this.logger.error('event set aside as a dead letter', { consumer, id: event.id, type: event.type, attempts, error });
        return; // acknowledged: the consumer goes on with the next event
      }
      this.handled?.inc({ consumer, outcome: 'ok' });
      if (this.failing.delete(event.id)) {
        await this.db.query(`DELETE FROM event_failures WHERE consumer = $1 AND event_id = $2`, [consumer, event.id]).catch(() => undefined);
      }
    };
  }

  private async countFailure(consumer: string, event: EventEnvelope, error: unknown): Promise<number> {
    const [row]: { attempts: number }[] = await this.db.query(
      `INSERT INTO event_failures (consumer, event_id, event, attempts, last_error, dead_at)
       VALUES ($1, $2, $3, 1, $4, CASE WHEN 1 >= $5 THEN now() END)
       ON CONFLICT (consumer, event_id) DO UPDATE SET
         attempts = event_failures.attempts + 1,
         last_error = EXCLUDED.last_error,
         last_failed_at = now(),
         dead_at = CASE WHEN event_failures.attempts + 1 >= $5 THEN now() END
       RETURNING attempts`,
      [consumer, event.id, JSON.stringify(event), messageOf(error), this.settings.maxAttempts],
    );
    return Number(row.attempts);
  }

  /** Runs the dead letters an operator asked to replay; one that fails again stays, with its new error. */
  private async replayRequested(consumer: string, handler: EventHandler): Promise<void> {
    const rows: FailureRow[] = await this.db.query(
      `SELECT * FROM event_failures WHERE consumer = $1 AND replay_requested_at IS NOT NULL ORDER BY dead_at LIMIT 100`,
      [consumer],
    );
    for (const row of rows) {
      const event = envelopeOf(row.event);
      try {
        await handler(event);
        await this.db.query(`DELETE FROM event_failures WHERE consumer = $1 AND event_id = $2`, [consumer, row.event_id]);
        this.logger.info('dead letter replayed', { consumer, id: event.id, type: event.type });
      } catch (error) {
        await this.db.query(
          `UPDATE event_failures SET attempts = attempts + 1, last_error = $3, last_failed_at = now(), dead_at = now(), replay_requested_at = NULL
           WHERE consumer = $1 AND event_id = $2`,
          [consumer, row.event_id, messageOf(error)],
        );
        this.logger.error('dead letter failed again on replay', { consumer, id: event.id, type: event.type, error });
      }
    }
  }
}

/*
 * What the command line reads and asks of a subgraph's database, maybe while the subgraph runs. One
 * plain statement each, without parameters (ids are checked UUIDs): an embedded database's socket
 * server can interleave a parameterised statement's messages with another connection's.
 */

export async function listDeadLetters(db: DataSource): Promise<DeadLetter[]> {
  const rows: FailureRow[] = await db.query(`SELECT * FROM event_failures WHERE dead_at IS NOT NULL ORDER BY dead_at, event_id`);
  return rows.map((row) => {
    const event = envelopeOf(row.event);
    return {
      consumer: row.consumer,
      eventId: row.event_id,
      type: event.type,
      attempts: Number(row.attempts),
      lastError: row.last_error,
      deadAt: new Date(row.dead_at).toISOString(),
      replayRequested: row.replay_requested_at !== null,
    };
  });
}

/** Asks the consumers to run these dead letters again (all of them without ids); returns how many. */
export async function requestReplay(db: DataSource, eventIds: string[] | 'all'): Promise<number> {
  if (eventIds !== 'all' && !eventIds.every(isUuid)) throw new Error('event ids are UUIDs');
  const which = eventIds === 'all' ? '' : `AND event_id IN (${eventIds.map((id) => `'${id}'`).join(', ') || 'NULL'})`;
  // (TypeORM answers an UPDATE with its rows and their count)
  const [, count]: [unknown[], number] = await db.query(`UPDATE event_failures SET replay_requested_at = now() WHERE dead_at IS NOT NULL ${which}`);
  return count;
}
