import type { DataSource } from 'typeorm';
import { isEvent } from '../../lib/events/catalog';
import type { EventEnvelope } from '../../lib/events/types';
import { handleReputationEvent } from './reputation-consumer';
import { returnStock } from './reservations';
import type { SearchCache } from './search/cache';
import type { SearchProjection } from './search/projection';

export interface ListingsEventDeps {
  projection: SearchProjection;
  cache?: SearchCache;
  /** Wakes the outbox relay once a handler's transaction recorded events. */
  afterCommit?: () => void;
}

/**
 * What listings does with events: stock back on cancellation, reputation for ranking, and forgetting
 * cached searches and listings once a change to them committed (its own ListingChanged events).
 */
export async function onListingsEvent(db: DataSource, { projection, cache, afterCommit }: ListingsEventDeps, event: EventEnvelope): Promise<void> {
  if (isEvent(event, 'OrderStatusChanged') && event.payload.status === 'CANCELLED') {
    await returnStock(db, projection, event);
    afterCommit?.();
  }
  if (isEvent(event, 'SellerReputationChanged') && (await handleReputationEvent(db, projection, event))) await cache?.invalidateAll();
  if (isEvent(event, 'ListingChanged')) await cache?.invalidate(event.payload);
  if (isEvent(event, 'SearchRebuilt')) await cache?.invalidateAll();
}
