import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../lib/ids';
import type { SearchProjection } from './search/projection';
import type { SearchChange } from './search/cache';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** A seller's listings and the reports a user made of listings, for their export. */
export async function personalData(db: Queryable, userId: string, sellerId: string | null): Promise<Record<string, unknown>> {
  const listingReports = isUuid(userId)
    ? await db.query(`SELECT listing_id, reason, details, created_at FROM listing_reports WHERE reporter_id = $1 ORDER BY created_at`, [userId])
    : [];
  if (!sellerId || !isUuid(sellerId)) return { listings: [], listingReports };
  const listings = await db.query(
    `SELECT id, title, description, status, price_amount, currency, stock, category_slug, fulfillment, created_at, updated_at
       FROM listings WHERE seller_id = $1 ORDER BY created_at`,
    [sellerId],
  );
  return { listings, listingReports };
}

/**
 * A deleted user's reports of listings go: what operators needed of them left with ListingReported
 * (the moderation queue keeps its own copy), and what a person wrote is theirs to take away.
 */
export async function forgetReporter(manager: EntityManager, userId: string): Promise<void> {
  if (isUuid(userId)) await manager.query(`DELETE FROM listing_reports WHERE reporter_id = $1`, [userId]);
}

/**
 * A deleted seller's shop closes: every listing leaves search and checkout for good (ARCHIVED; orders
 * keep their copies of titles and prices) and the shop's name is no longer shown.
 */
export async function forgetSeller(
  manager: EntityManager,
  projection: SearchProjection,
  sellerId: string,
  closedShopName: string,
): Promise<SearchChange | undefined> {
  if (!isUuid(sellerId)) return undefined;
  const rows: { id: string }[] = await manager.query(`SELECT id FROM listings WHERE seller_id = $1 AND status NOT IN ('ARCHIVED', 'REMOVED') FOR UPDATE`, [sellerId]);
  await manager.query(`UPDATE listings SET status = 'ARCHIVED', updated_at = now() WHERE seller_id = $1 AND status NOT IN ('ARCHIVED', 'REMOVED')`, [sellerId]);
  await manager.query(`UPDATE seller_profiles SET shop_name = $2, updated_at = now() WHERE seller_id = $1`, [sellerId, closedShopName]);
  await projection.seller(manager, sellerId);
  return projection.listings(manager, rows.map((row) => row.id));
}
