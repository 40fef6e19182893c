import type { DataSource } from 'typeorm';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { SearchProjection } from './search/projection';

type ReputationChange = EventPayloads['SellerReputationChanged'];

/** An event that could never be stored is dropped rather than retried for ever. */
function wellFormed({ sellerId, score, reviewCount, at }: ReputationChange): boolean {
  return (
    isUuid(sellerId) &&
    Number.isFinite(score) &&
    score >= 0 &&
    score <= 5 &&
    Number.isInteger(reviewCount) &&
    reviewCount >= 0 &&
    typeof at === 'string' &&
    !Number.isNaN(Date.parse(at))
  );
}

/**
 * Keeps seller_reputation, the copy of each seller's score that search sorts and ranks by (and the
 * search documents that carry it). Each event
 * is applied once (handleOnce), and its `at` (reputation reads it under a per-seller lock, so a
 * seller's events are ordered by it) is stored as the row's updated_at: an event no newer than the
 * row is stale and changes nothing, whatever order the broker delivers in.
 * Answers whether the row changed.
 */
export async function handleReputationEvent(db: DataSource, search: SearchProjection, event: EventEnvelope): Promise<boolean> {
  if (!isEvent(event, 'SellerReputationChanged') || !wellFormed(event.payload)) return false;
  const { sellerId, score, reviewCount, at } = event.payload;
  let changed = false;
  await handleOnce(db, 'listings', event, async (manager) => {
    // `at` goes to PostgreSQL as text: it carries microseconds, which a JavaScript Date would drop
    const rows: unknown[] = await manager.query(
      `INSERT INTO seller_reputation (seller_id, score, review_count, updated_at)
       VALUES ($1, $2, $3, CAST($4 AS timestamptz))
       ON CONFLICT (seller_id) DO UPDATE
         SET score = EXCLUDED.score, review_count = EXCLUDED.review_count, updated_at = EXCLUDED.updated_at
         WHERE seller_reputation.updated_at < EXCLUDED.updated_at
       RETURNING seller_id`,
      [sellerId, score, reviewCount, at],
    );
    changed = rows.length > 0;
    // search ranks by the score: the seller's documents move in the same transaction
    if (changed) await search.seller(manager, sellerId);
  });
  return changed;
}
