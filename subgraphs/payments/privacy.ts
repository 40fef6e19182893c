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
