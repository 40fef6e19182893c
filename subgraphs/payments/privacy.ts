import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../lib/ids';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/**
 * What payments holds about a user: their payments and refunds, and as a seller their payout account,
 * schedule and transfers. Nothing of it is erased on deletion: the ledger and the provider's records
 * must keep agreeing (accounting and tax law), and none of it names the person, only their id.
 */
export async function personalData(db: Queryable, userId: string, sellerId: string | null): Promise<Record<string, unknown>> {
  if (!isUuid(userId)) return {};
  const payments = await db.query(
    `SELECT id, purchase_id, status, amount, currency, succeeded_at, created_at FROM payments WHERE buyer_id = $1 ORDER BY created_at`,
    [userId],
  );
  const refunds = await db.query(
    `SELECT r.id, r.order_id, r.amount, r.reason, r.created_at FROM refunds r JOIN payment_orders o ON o.order_id = r.order_id
      WHERE o.buyer_id = $1 ORDER BY r.created_at`,
    [userId],
  );
  if (!sellerId || !isUuid(sellerId)) return { payments, refunds };
  const [payoutAccount] = await db.query(`SELECT status, created_at FROM seller_accounts WHERE seller_id = $1`, [sellerId]);
  const transfers = await db.query(`SELECT id, amount, currency, status, created_at, paid_at FROM transfers WHERE seller_id = $1 ORDER BY created_at`, [sellerId]);
  const [schedule] = await db.query(`SELECT schedule FROM payout_schedules WHERE seller_id = $1`, [sellerId]);
  return { payments, refunds, payoutAccount: payoutAccount ?? null, payoutSchedule: schedule?.schedule ?? null, transfers };
}

/**
 * Orders of a user, as buyer or as seller, whose money payments still holds: charged and neither released nor
 * refunded in full (a PENDING refund has not left yet), or frozen by an open hold (a dispute's, or a chargeback's,
 * which may hold an order even after its release). Orders calls an order finished before all of its money has
 * moved (cancelled, while its refund is still on its way), so accounts asks here too before a deletion.
 */
export async function escrowOrdersOf(db: Queryable, userId: string, sellerId: string | null): Promise<number> {
  if (!isUuid(userId) || (sellerId !== null && !isUuid(sellerId))) return 0;
  const [{ n }]: { n: number }[] = await db.query(
    `SELECT count(*)::int AS n FROM payment_orders o
      WHERE (o.buyer_id = $1 OR o.seller_id = $2)
        AND ((o.charged_at IS NOT NULL AND o.released_at IS NULL AND o.refunded_amount < o.amount)
             OR EXISTS (SELECT 1 FROM escrow_holds h WHERE h.order_id = o.order_id AND h.settled_at IS NULL))`,
    [userId, sellerId],
  );
  return n;
}
