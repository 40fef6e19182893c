import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The outbox and the processed-event ids; every subgraph that writes or consumes events includes it. */
export class EventTables1732000000100 implements MigrationInterface {
  name = 'EventTables1732000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY,
        type text NOT NULL,
        payload jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON outbox (occurred_at, id) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE processed_events`);
    await q.query(`DROP TABLE outbox`);
  }
}

/** Failed deliveries per consumer and event, and the dead letters among them (lib/events/dead-letters.ts). */
export class EventFailures1733000000100 implements MigrationInterface {
  name = 'EventFailures1733000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_failures (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        event jsonb NOT NULL,
        attempts integer NOT NULL,
        last_error text NOT NULL,
        first_failed_at timestamptz NOT NULL DEFAULT now(),
        last_failed_at timestamptz NOT NULL DEFAULT now(),
        dead_at timestamptz,
        replay_requested_at timestamptz,
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE INDEX event_failures_replay_idx ON event_failures (consumer) WHERE replay_requested_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_failures`);
  }
}

/** Every subgraph's event tables, in order. */
export const EVENT_MIGRATIONS = [EventTables1732000000100, EventFailures1733000000100];
