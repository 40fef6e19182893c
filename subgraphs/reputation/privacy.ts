import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../lib/ids';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** What a review keeps of an author whose account is gone: its rating (the seller's score rests on it), not its words. */
export const ERASED_REVIEW = '';

/** Reviews a user wrote, and those their shop received. */
export async function personalData(db: Queryable, userId: string, sellerId: string | null): Promise<Record<string, unknown>> {
  if (!isUuid(userId)) return {};
  const written = await db.query(`SELECT id, order_id, seller_id, rating, body, created_at FROM reviews WHERE author_id = $1 ORDER BY created_at`, [userId]);
  const received = sellerId && isUuid(sellerId)
    ? await db.query(`SELECT id, order_id, rating, body, reply_body, replied_at, created_at FROM reviews WHERE seller_id = $1 ORDER BY created_at`, [sellerId])
    : [];
  const reports = await db.query(
    `SELECT review_id, reason, details, created_at FROM review_reports WHERE reporter_id = $1 ORDER BY created_at`,
    [userId],
  );
  return { reviewsWritten: written, reviewsReceived: received, reviewsReported: reports };
}

/**
 * A deleted account's words go (its reviews keep their ratings, its reports their reasons), as do its
 * shop's replies and the record of when it was made.
 */
export async function forgetAccount(db: Queryable, userId: string, sellerId: string | null = null): Promise<void> {
  await db.query(`UPDATE reviews SET body = $2 WHERE author_id = $1`, [userId, ERASED_REVIEW]);
  await db.query(`UPDATE review_reports SET details = NULL WHERE reporter_id = $1`, [userId]);
  await db.query(`UPDATE listing_reports SET details = NULL WHERE reporter_id = $1`, [userId]);
  await db.query(`DELETE FROM known_accounts WHERE user_id = $1`, [userId]);
  if (sellerId && isUuid(sellerId)) await db.query(`UPDATE reviews SET reply_body = $2 WHERE seller_id = $1 AND reply_body IS NOT NULL`, [sellerId, ERASED_REVIEW]);
}
