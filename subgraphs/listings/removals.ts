import type { DataSource } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, notFound } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { requiredText } from '../../lib/validation';
import { ListingEntity } from './entities';
import type { SearchChange } from './search/cache';
import type { SearchProjection } from './search/projection';

export const MAX_REMOVAL_REASON = 1000;

/**
 * An operator takes a listing down for good: REMOVED, which nothing turns back (its seller can no
 * longer edit, publish or archive it, and checkout refuses it as FORBIDDEN). Its search document goes
 * in the same transaction, and ListingRemoved tells the seller why (notifications) and settles its
 * reports (reputation's moderation queue); the audit log gets the action. The row stays: orders refer
 * to it.
 */
export async function removeListing(
  db: DataSource,
  projection: SearchProjection,
  viewer: Viewer,
  id: string,
  reasonInput: string,
): Promise<{ listing: ListingEntity; change: SearchChange }> {
  requireOperator(viewer);
  const reason = requiredText(reasonInput, 'reason', { max: MAX_REMOVAL_REASON });
  if (!isUuid(id)) throw notFound('Listing');
  return db.transaction(async (manager) => {
    const listings = manager.getRepository(ListingEntity);
    // locked, so that a concurrent edit or reservation is ordered before or after the removal
    const listing = await listings.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!listing) throw notFound('Listing');
    if (listing.status === 'REMOVED') throw conflict('This listing has been removed already');
    await listings.update({ id }, { status: 'REMOVED' });
    const change = await projection.listings(manager, [id]);
    const at = new Date().toISOString();
    await recordEvent(manager, 'listings', 'ListingRemoved', {
      listingId: id,
      sellerId: listing.sellerId,
      title: listing.title,
      reason,
      by: viewer.userId,
      at,
    });
    await recordAudit(manager, 'listings', {
      action: 'listing.removed',
      actorId: viewer.userId,
      targetType: 'listing',
      targetId: id,
      details: { reason, sellerId: listing.sellerId, title: listing.title, previousStatus: listing.status },
    });
    return { listing: await listings.findOneByOrFail({ id }), change };
  });
}
