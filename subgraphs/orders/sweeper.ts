import type { DataSource } from 'typeorm';
import { affectedRows } from '../../lib/db/affected';
import { recordEvent } from '../../lib/events/outbox';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { applyMove } from './transitions';

export interface SweepConfig {
  intervalMs: number;
  /** A shipped order counts as delivered this long after shipping if the buyer never confirms. */
  autoConfirmDeliveryMs: number;
  /** How long before an unpaid purchase expires its buyer is reminded. */
  expiryReminderMs: number;
  /** A dispute still AWAITING_SELLER this long after it was opened goes UNDER_REVIEW. */
  disputeSellerResponseMs: number;
}

/**
 * The clock's moves: buyers of unpaid purchases are reminded before they expire, unpaid purchases past their reservation expire (their orders are cancelled and
 * listings takes the stock back on the event), checkouts abandoned before their orders were written
 * give back what listings reserved for them, shipped orders the buyer never confirmed are
 * delivered after a while so that the seller's money does not stay in escrow for ever, and disputes the
 * seller has not answered in time go to operators without them (UNDER_REVIEW). A DISPUTED order is not
 * SHIPPED: the clock never delivers it.
 * SKIP LOCKED lets several orders instances sweep at once without doing the same order twice.
 */
export function startSweeper(db: DataSource, config: SweepConfig, logger: Logger, afterCommit: () => void): () => Promise<void> {
  const sweepOnce = async () => {
    const expired = await sweep(
      db,
      `SELECT o.id FROM orders o JOIN purchases p ON p.id = o.purchase_id
       WHERE o.status = 'PENDING_PAYMENT' AND p.expires_at < now()
         -- a checkout still opening its payment is left alone until well past its expiry (then it was abandoned)
         AND (p.state = 'OPEN' OR p.expires_at < now() - interval '15 minutes')
       LIMIT 100 FOR UPDATE OF o SKIP LOCKED`,
      [],
      'expire',
    );
    const reminded = await remindExpiring(db, config.expiryReminderMs);
    const abandoned = await abandonCheckouts(db);
    const delivered = await sweep(
      db,
      `SELECT id FROM orders WHERE status = 'SHIPPED' AND shipped_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED`,
      [new Date(Date.now() - config.autoConfirmDeliveryMs)],
      'autoConfirmDelivery',
    );
    const unanswered = await reviewUnanswered(db, config.disputeSellerResponseMs);
    if (expired + reminded + abandoned + delivered + unanswered > 0) {
      logger.info('orders swept', { expired, reminded, abandoned, delivered, unanswered });
      afterCommit();
    }
  };
  return startPeriodic('orders sweep', config.intervalMs, sweepOnce, logger);
}

/** Unpaid purchases that expire within `withinMs` are told to their buyer (PurchaseExpiring), once each. */
async function remindExpiring(db: DataSource, withinMs: number): Promise<number> {
  return db.transaction(async (manager) => {
    const rows: { id: string; buyer_id: string; expires_at: Date; order_ids: string[] }[] = await manager.query(
      `SELECT p.id, p.buyer_id, p.expires_at,
              ARRAY(SELECT o.id::text FROM orders o WHERE o.purchase_id = p.id ORDER BY o.id) AS order_ids
         FROM purchases p
        WHERE p.expiry_reminded_at IS NULL AND p.expires_at > now() AND p.expires_at < now() + make_interval(secs => $1)
          AND EXISTS (SELECT 1 FROM orders o WHERE o.purchase_id = p.id AND o.status = 'PENDING_PAYMENT')
        LIMIT 100 FOR UPDATE OF p SKIP LOCKED`,
      [withinMs / 1000],
    );
    for (const row of rows) {
      await manager.query(`UPDATE purchases SET expiry_reminded_at = now() WHERE id = $1`, [row.id]);
      await recordEvent(manager, 'orders', 'PurchaseExpiring', {
        purchaseId: row.id,
        buyerId: row.buyer_id,
        orderIds: row.order_ids,
        expiresAt: new Date(row.expires_at).toISOString(),
      });
    }
    return rows.length;
  });
}

/**
 * A checkout that never wrote its orders (its process died between reserving stock and writing them,
 * or listings answered too late and the buyer never retried with the key) is forgotten well past its
 * expiry, as the checkout itself forgets one that reserved nothing, and PurchaseAbandoned tells
 * listings to give back whatever it reserved under the purchase's id. A retry with the same key after
 * that starts afresh.
 */
async function abandonCheckouts(db: DataSource): Promise<number> {
  return db.transaction(async (manager) => {
    const rows: { id: string }[] = await manager.query(
      `SELECT p.id FROM purchases p
       WHERE p.state = 'RESERVING' AND p.expires_at < now() - interval '15 minutes'
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.purchase_id = p.id)
       LIMIT 100 FOR UPDATE SKIP LOCKED`,
    );
    for (const { id } of rows) {
      await manager.query(`DELETE FROM purchases WHERE id = $1`, [id]);
      await recordEvent(manager, 'orders', 'PurchaseAbandoned', { purchaseId: id, at: new Date().toISOString() });
    }
    return rows.length;
  });
}

async function sweep(db: DataSource, select: string, params: unknown[], move: 'expire' | 'autoConfirmDelivery'): Promise<number> {
  return db.transaction(async (manager) => {
    const rows: { id: string }[] = await manager.query(select, params);
    for (const { id } of rows) await applyMove(manager, id, move, 'SYSTEM');
    return rows.length;
  });
}

/** Disputes the seller left unanswered for `afterMs`: operators review them without waiting longer. */
async function reviewUnanswered(db: DataSource, afterMs: number): Promise<number> {
  return db.transaction(async (manager) =>
    affectedRows(
      await manager.query(
        `UPDATE disputes SET status = 'UNDER_REVIEW', updated_at = now()
          WHERE id IN (SELECT id FROM disputes WHERE status = 'AWAITING_SELLER' AND created_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)`,
        [new Date(Date.now() - afterMs)],
      ),
    ),
  );
}
