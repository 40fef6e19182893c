import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { affectedRows, returnedRows } from '../../lib/db/affected';
import { badInput, conflict, notFound } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { PaymentOrderEntity, RefundEntity } from './entities';
import { releaseEscrow, type Escrow } from './escrow';
import type { Refunds } from './refunds';

/** One open or settled hold on an order's escrow, as the table has it. */
interface HoldRow {
  id: string;
  order_id: string;
  dispute_id: string | null;
  chargeback_ref: string | null;
  amount: number;
  release_due: boolean;
  refund_requested: number | null;
  release_requested: boolean | null;
  settled_at: Date | null;
}

async function lockOrder(manager: EntityManager, orderId: string): Promise<PaymentOrderEntity | null> {
  return manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
}

/**
 * Called by the release on delivery, under the same row lock holdEscrow takes: while a hold is open the money stays
 * in escrow, and the hold remembers that the release is due (the seller is paid when the dispute is decided for
 * them). True when held.
 */
export async function markReleaseDue(manager: EntityManager, orderId: string): Promise<boolean> {
  if (!(await lockOrder(manager, orderId))) return false;
  const held = await manager.query(`UPDATE escrow_holds SET release_due = true WHERE order_id = $1 AND settled_at IS NULL`, [orderId]);
  return affectedRows(held) > 0;
}

/**
 * Disputes freeze escrow. Orders asks, synchronously and before it commits the dispute, for a hold on the
 * order's escrow (holdEscrow): the hold and the release on delivery lock the same payment_orders row, so
 * exactly one of them wins — a hold on money already released is CONFLICT and no dispute opens; a release
 * after the hold finds it and waits. Every call is idempotent by the dispute's id, so orders may ask again.
 * The decision (settle) refunds, releases, or both, through the same refund and release as everything else,
 * so the ledger balances by construction.
 */
export class EscrowHolds {
  constructor(
    private readonly db: DataSource,
    private readonly refunds: Refunds,
    private readonly escrow: () => Escrow,
    private readonly afterCommit: () => void,
  ) {}

  /** Freezes an order's escrow for a buyer's dispute. CONFLICT when no money of it is in escrow. */
  async hold(orderId: string, disputeId: string): Promise<boolean> {
    if (!isUuid(orderId) || !isUuid(disputeId)) throw badInput('orderId and disputeId must be UUIDs', 'orderId');
    return this.db.transaction(async (manager) => {
      const order = await lockOrder(manager, orderId);
      if (!order) throw notFound('Order');
      const holds: HoldRow[] = await manager.query(`SELECT * FROM escrow_holds WHERE order_id = $1 AND settled_at IS NULL`, [orderId]);
      if (holds.some((h) => h.dispute_id === disputeId)) return true;
      if (!order.chargedAt) throw conflict('This order has not been paid: there is no money to dispute');
      if (order.releasedAt) throw conflict('The order’s money has been released to the seller already: it is no longer in escrow');
      const pending = await manager.getRepository(RefundEntity).findBy({ orderId, status: 'PENDING' });
      const left = order.amount - order.refundedAmount - pending.reduce((sum, r) => sum + r.amount, 0);
      if (left <= 0) throw conflict('This order has been refunded in full: there is no money to dispute');
      if (holds.some((h) => h.dispute_id !== null)) throw conflict('Another dispute holds this order’s escrow already');
      await manager.query(`INSERT INTO escrow_holds (id, order_id, dispute_id, amount) VALUES ($1, $2, $3, $4)`, [randomUUID(), orderId, disputeId, left]);
      return true;
    });
  }

  /** Undoes a hold whose dispute could not be opened after all; a release that came due meanwhile happens now. */
  async drop(orderId: string, disputeId: string): Promise<boolean> {
    if (!isUuid(orderId) || !isUuid(disputeId)) throw badInput('orderId and disputeId must be UUIDs', 'orderId');
    const released = await this.db.transaction(async (manager) => {
      if (!(await lockOrder(manager, orderId))) return false;
      const dropped = returnedRows<HoldRow>(
        await manager.query(
          `DELETE FROM escrow_holds WHERE dispute_id = $1 AND order_id = $2 AND settled_at IS NULL AND release_requested IS NULL RETURNING *`,
          [disputeId, orderId],
        ),
      );
      if (!dropped[0]?.release_due || (await stillHeld(manager, orderId))) return false;
      return releaseEscrow(manager, orderId);
    });
    if (released) await this.paySeller(orderId);
    return true;
  }

  /**
   * Applies a dispute's decision: refundAmount back to the buyer (null: everything left), and with release the
   * rest to the seller. The first request fixes the decision: asked again the same, it finishes what is left
   * of it (after a provider's failure, say); asked otherwise, CONFLICT. Returns what the decision refunded.
   */
  async settle(orderId: string, disputeId: string, refundAmount: number | null, release: boolean): Promise<number> {
    if (!isUuid(orderId) || !isUuid(disputeId)) throw badInput('orderId and disputeId must be UUIDs', 'orderId');
    if (refundAmount !== null && (!Number.isInteger(refundAmount) || refundAmount < 0)) throw badInput('refundAmount must be 0 or more minor units', 'refundAmount');
    const refund = await this.db.transaction(async (manager) => {
      const order = await lockOrder(manager, orderId);
      if (!order) throw notFound('Order');
      const [hold]: HoldRow[] = await manager.query(`SELECT * FROM escrow_holds WHERE dispute_id = $1 AND order_id = $2`, [disputeId, orderId]);
      if (!hold) throw conflict('No dispute holds this order’s escrow');
      if (hold.release_requested !== null) {
        if (hold.release_requested !== release || (refundAmount !== null && hold.refund_requested !== refundAmount)) {
          throw conflict('This dispute has been decided otherwise already');
        }
        return hold.refund_requested!;
      }
      const pending = await manager.getRepository(RefundEntity).findBy({ orderId, status: 'PENDING' });
      const left = order.amount - order.refundedAmount - pending.reduce((sum, r) => sum + r.amount, 0);
      const amount = refundAmount ?? left;
      if (amount > left) throw badInput(`At most ${left} (minor units) is left to refund on this order`, 'refundAmount');
      await manager.query(`UPDATE escrow_holds SET refund_requested = $2, release_requested = $3 WHERE id = $1`, [hold.id, amount, release]);
      return amount;
    });
    if (refund > 0) await this.refunds.refundForDispute(disputeId, orderId, refund, 'Dispute decided by the marketplace');
    const released = await this.db.transaction(async (manager) => {
      if (!(await lockOrder(manager, orderId))) return false;
      const settled = await manager.query(`UPDATE escrow_holds SET settled_at = now() WHERE dispute_id = $1 AND settled_at IS NULL`, [disputeId]);
      if (affectedRows(settled) === 0 || !release) return false;
      if (await stillHeld(manager, orderId)) {
        // a chargeback still holds it: the release is due when that one is lifted
        await manager.query(`UPDATE escrow_holds SET release_due = true WHERE order_id = $1 AND settled_at IS NULL`, [orderId]);
        return false;
      }
      return releaseEscrow(manager, orderId);
    });
    if (released) {
      this.afterCommit();
      await this.paySeller(orderId);
    }
    return refund;
  }

  private async paySeller(orderId: string): Promise<void> {
    const order = await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneBy({ orderId }));
    if (order) await this.escrow().payAfterRelease(orderId, order.sellerId);
  }
}

/** Whether another hold (a chargeback's, say) still keeps the order's money in escrow. */
async function stillHeld(manager: EntityManager, orderId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(`SELECT 1 FROM escrow_holds WHERE order_id = $1 AND settled_at IS NULL`, [orderId]);
  return rows.length > 0;
}
