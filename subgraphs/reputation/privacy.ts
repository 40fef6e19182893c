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
    ? await db.query(`SELECT id, order_id, rating, body, created_at FROM reviews WHERE seller_id = $1 ORDER BY created_at`, [sellerId])
    : [];
  return { reviewsWritten: written, reviewsReceived: received };
}

export async function forgetAccount(db: Queryable, userId: string): Promise<void> {
  await db.query(`UPDATE reviews SET body = $2 WHERE author_id = $1`, [userId, ERASED_REVIEW]);
}
