import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../lib/ids';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** Statuses an order ends in: until then it is open (and its money may be in escrow). */
export const FINISHED = ['COMPLETED', 'CANCELLED', 'REFUNDED'];

/** Orders of a user, as buyer or as seller, that have not finished: an account with any cannot be deleted. */
export async function openOrdersOf(db: Queryable, userId: string, sellerId: string | null): Promise<number> {
  if (!isUuid(userId) || (sellerId !== null && !isUuid(sellerId))) return 0;
  const [{ n }]: { n: number }[] = await db.query(
    `SELECT count(*)::int AS n FROM orders WHERE (buyer_id = $1 OR seller_id = $2) AND status <> ALL($3::text[])`,
    [userId, sellerId, FINISHED],
  );
  return n;
}

/** What orders holds about a user: what they bought (with where it went) and, as a seller, what they sold and their rates. */
export async function personalData(db: Queryable, userId: string, sellerId: string | null): Promise<Record<string, unknown>> {
  if (!isUuid(userId)) return {};
  const bought = await db.query(
    `SELECT o.id, o.status, o.currency, o.total_amount, o.shipping_amount, o.shipping_address, o.carrier, o.tracking_number, o.created_at,
            (SELECT json_agg(json_build_object('listingId', i.listing_id, 'title', i.title, 'quantity', i.quantity, 'unitPrice', i.unit_price))
               FROM order_items i WHERE i.order_id = o.id) AS items
       FROM orders o WHERE o.buyer_id = $1 ORDER BY o.created_at`,
    [userId],
  );
  const sold = sellerId && isUuid(sellerId)
    ? await db.query(`SELECT id, status, currency, total_amount, created_at FROM orders WHERE seller_id = $1 ORDER BY created_at`, [sellerId])
    : [];
  const shippingRates = sellerId && isUuid(sellerId) ? await db.query(`SELECT * FROM shipping_rates WHERE seller_id = $1`, [sellerId]) : [];
  const disputes = await db.query(
    `SELECT d.id, d.order_id, d.source, d.status, d.reason, d.details, d.outcome, d.refunded_amount, d.currency, d.created_at, d.resolved_at,
            (SELECT json_agg(json_build_object('role', m.role, 'body', m.body, 'at', m.at) ORDER BY m.id)
               FROM dispute_messages m WHERE m.dispute_id = d.id AND m.author_id = $1) AS "yourMessages"
       FROM disputes d WHERE d.buyer_id = $1 OR d.seller_id = $2 ORDER BY d.created_at`,
    [userId, sellerId && isUuid(sellerId) ? sellerId : null],
  );
  return { ordersBought: bought, ordersSold: sold, shippingRates, disputes };
}

/**
 * A deleted account: orders keep their amounts and items (accounting needs them), not where they went; dispute
 * threads keep what was said (the other party and operators relied on it) but no longer say who said it.
 */
export async function forgetAccount(db: Queryable, userId: string): Promise<void> {
  await db.query(`UPDATE orders SET shipping_address = NULL WHERE buyer_id = $1 AND shipping_address IS NOT NULL`, [userId]);
  await db.query(`UPDATE dispute_messages SET author_id = NULL WHERE author_id = $1`, [userId]);
}
