import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../lib/events/outbox';
import { ratingCounts } from './loaders';
import { summarise, type ReputationPrior } from './reputation';

/**
 * One writer of reviews' statuses at a time, for the whole subgraph. The fake-review signals look
 * across sellers, authors and texts (a duplicate text holds another seller's review), so a lock per
 * seller would let two reviews of one pattern slip past each other, and locks taken per seller as
 * patterns are found could deadlock. Reviews are written at human pace; the lock is held for the few
 * statements of one review or one decision. It also orders each seller's SellerReputationChanged:
 * every event counts every review committed before it, and its `at` is read under the lock.
 */
export async function lockReviews(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('reputation:reviews', 0))`);
}

/** The instant under the lock, in microseconds, so that two changes of one seller never share one. */
export async function lockedNow(manager: EntityManager): Promise<string> {
  const [{ at }]: { at: string }[] = await manager.query(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
  );
  return at;
}

/**
 * Tells the other subgraphs (listings' ranking copy) each given seller's score as it now stands:
 * called, under lockReviews, after anything that changed which of their reviews count.
 */
export async function publishScores(manager: EntityManager, prior: ReputationPrior, sellerIds: Iterable<string>, at: string): Promise<void> {
  const ids = [...new Set(sellerIds)].sort();
  if (!ids.length) return;
  const counts = await ratingCounts(manager, ids);
  for (const sellerId of ids) {
    const summary = summarise(counts.get(sellerId) ?? { counts: [0, 0, 0, 0, 0] }, prior);
    await recordEvent(manager, 'reputation', 'SellerReputationChanged', { sellerId, score: summary.score, reviewCount: summary.reviewCount, at });
  }
}
