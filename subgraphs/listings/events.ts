import type { DataSource } from 'typeorm';
import { isEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import { isUuid } from '../../lib/ids';
import type { EventEnvelope } from '../../lib/events/types';
import { handleReputationEvent } from './reputation-consumer';
import { forgetReporter, forgetSeller } from './privacy';
import type { SearchChange } from './search/cache';
import { handleSellerRegistered } from './seller-profiles';
import { applySellerStanding } from './seller-standing';
import { releaseReservation, returnStock } from './reservations';
import type { SearchProjection } from './search/projection';
import type { ListingSearch } from './search/search';

export interface ListingsEventDeps {
  projection: SearchProjection;
  /** Forgets cached answers that a change can alter (once a replica search reads from shows it). */
  search?: Pick<ListingSearch, 'forget' | 'forgetAll' | 'forgetSeller'>;
  /** Wakes the outbox relay once a handler's transaction recorded events. */
  afterCommit?: () => void;
}

/**
 * What listings does with events: stock back on cancellation and on an abandoned checkout, reputation for ranking, shop names to
 * show with listings, a deleted seller's shop closed, a suspended seller's listings out of search (and back on reinstatement), and forgetting
 * cached searches and listings once a change to them committed (its own ListingChanged events).
 */
export async function onListingsEvent(db: DataSource, { projection, search, afterCommit }: ListingsEventDeps, event: EventEnvelope): Promise<void> {
  if (isEvent(event, 'OrderStatusChanged') && event.payload.status === 'CANCELLED') {
    await returnStock(db, projection, event);
    afterCommit?.();
  }
  if (isEvent(event, 'PurchaseAbandoned') && isUuid(event.payload.purchaseId)) {
    await releaseReservation(db, projection, event);
    afterCommit?.();
  }
  if (isEvent(event, 'SellerReputationChanged') && (await handleReputationEvent(db, projection, event))) {
    await search?.forgetSeller(event.payload.sellerId);
    await search?.forgetAll();
  }
  if (isEvent(event, 'SellerRegistered') && (await handleSellerRegistered(db, event))) await search?.forgetSeller(event.payload.sellerId);
  if (isEvent(event, 'AccountDeleted')) {
    const { userId, sellerId, closedShopName } = event.payload;
    let change: SearchChange | undefined;
    const handled = await handleOnce(db, 'listings', event, async (manager) => {
      await forgetReporter(manager, userId);
      if (sellerId) change = await forgetSeller(manager, projection, sellerId, closedShopName ?? 'Closed shop');
    });
    if (handled && sellerId) {
      afterCommit?.();
      await search?.forgetSeller(sellerId);
      if (change) await search?.forget(change);
    }
  }
  if (isEvent(event, 'SellerStatusChanged')) {
    const { handled, change } = await applySellerStanding(db, projection, event);
    if (handled) afterCommit?.();
    if (change) await search?.forget(change);
  }
  if (isEvent(event, 'ListingChanged')) await search?.forget(event.payload);
  if (isEvent(event, 'SearchRebuilt')) await search?.forgetAll();
}
