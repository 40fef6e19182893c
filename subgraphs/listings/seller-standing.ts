import type { DataSource, EntityManager } from 'typeorm';
import type { MarketplaceEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import { forbidden } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import type { SearchChange } from './search/cache';
import type { SearchProjection } from './search/projection';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** Whether accounts has told listings that this seller is suspended. */
export async function isSuspended(db: Queryable, sellerId: string): Promise<boolean> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM seller_standing WHERE seller_id = $1 AND status = 'SUSPENDED'`, [sellerId]);
  return rows.length > 0;
}

/** A suspended seller may keep their listings but not put new ones on sale. */
export async function refuseSuspended(db: Queryable, sellerId: string): Promise<void> {
  if (await isSuspended(db, sellerId)) throw forbidden('Your shop is suspended: you cannot create or publish listings until it is reinstated');
}

/**
 * Keeps a seller's standing as accounts announces it (SellerStatusChanged), once per event; an event
 * older than the standing held changes nothing, so the broker's order of delivery does not matter.
 * The seller's ACTIVE listings are projected again in the same transaction: suspended, their search
 * documents are deleted (search stays as fast as before, no filter per query); reinstated, they come
 * back with the listings' current data. The ListingChanged that the projection records makes every
 * instance forget the cached searches that showed them. Answers what changed in search, if anything.
 */
export async function applySellerStanding(
  db: DataSource,
  projection: SearchProjection,
  event: MarketplaceEvent<'SellerStatusChanged'>,
): Promise<{ handled: boolean; change?: SearchChange }> {
  const { sellerId, status, at } = event.payload;
  if (!isUuid(sellerId) || (status !== 'ACTIVE' && status !== 'SUSPENDED') || Number.isNaN(Date.parse(at))) return { handled: false };
  let change: SearchChange | undefined;
  const handled = await handleOnce(db, 'listings', event, async (manager) => {
    // `at` goes as text: it may carry microseconds that a JavaScript Date would drop
    const applied: unknown[] = await manager.query(
      `INSERT INTO seller_standing (seller_id, status, changed_at, updated_at) VALUES ($1, $2, CAST($3 AS timestamptz), now())
       ON CONFLICT (seller_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at, updated_at = now()
         WHERE seller_standing.changed_at < EXCLUDED.changed_at
       RETURNING seller_id`,
      [sellerId, status, at],
    );
    if (applied.length === 0) return;
    const listings: { id: string }[] = await manager.query(`SELECT id FROM listings WHERE seller_id = $1 AND status = 'ACTIVE'`, [sellerId]);
    change = await projection.listings(manager, listings.map((row) => row.id));
  });
  return { handled, change };
}
