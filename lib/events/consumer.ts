import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope } from './types';

/**
 * Runs a handler once per event and consumer: the processed id is written in the handler's own
 * transaction, so a redelivered event finds it and is skipped, and a failed handler leaves no trace.
 * Returns false when the event had been processed already.
 */
export async function handleOnce(
  db: DataSource,
  consumer: string,
  event: EventEnvelope,
  handler: (manager: EntityManager) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (manager) => {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, event.id],
    );
    if (inserted.length === 0) return false;
    await handler(manager);
    return true;
  });
}
