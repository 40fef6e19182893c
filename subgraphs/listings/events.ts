import type { DataSource } from 'typeorm';
import { isEvent } from '../../lib/events/catalog';
import type { EventEnvelope } from '../../lib/events/types';
import { handleReputationEvent } from './reputation-consumer';
import { returnStock } from './reservations';
import type { SearchProjection } from './search/projection';

/** What listings does with other subgraphs' events: stock back on cancellation, reputation for ranking. */
export async function onListingsEvent(db: DataSource, search: SearchProjection, event: EventEnvelope): Promise<void> {
  if (isEvent(event, 'OrderStatusChanged') && event.payload.status === 'CANCELLED') await returnStock(db, search, event);
  if (isEvent(event, 'SellerReputationChanged')) await handleReputationEvent(db, search, event);
}
