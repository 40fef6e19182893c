/**
 * The chargeback lifecycle as the payment provider reports it: opened (the disputed amount held in escrow) and
 * closed (won: released; lost: taken out of the platform), with their audit and events. Taking a lost share back
 * from a seller who was already paid is chargeback-recoveries.ts's, asked once the close commits.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { recordEvent } from '../../lib/events/outbox';
import type { Logger } from '../../lib/logger';
import type { ChargebackRecoveries } from './chargeback-recoveries';
import { PaymentEntity, PaymentOrderEntity } from './entities';
import { releaseEscrow, type Escrow } from './escrow';
import { accounts, postTransaction, refundFeeShare, releasedToSeller, type Entry } from './ledger';

/** A chargeback as the payment provider reports it (Stripe's Dispute object). */
export interface ProviderDispute {
  /** dp_… */
  reference: string;
  /** The PaymentIntent (pi_…) and the charge (ch_…) disputed; either finds the payment. */
  paymentReference: string | null;
  chargeReference: string | null;
  /** Minor units: what the buyer's bank disputes, all or part of the charge. */
  amount: number;
  /** The provider's reason (Stripe's: product_not_received, fraudulent, …). */
  reason: string;
}

interface HoldRow {
  id: string;
  order_id: string;
  amount: number;
  release_due: boolean;
  settled_at: Date | null;
}

/**
 * Chargebacks: the buyer's bank disputes a charge, and the provider takes the disputed amount back until the bank
 * decides. A charge pays a whole purchase (one order per seller), so the disputed amount is laid over the
 * purchase's orders in a fixed order (by order id), each taking what is left of it (paid less refunded) until the
 * amount is covered: a whole-charge dispute covers every order, a partial one the first orders it reaches. Each
 * order's share is held in escrow (escrow_holds) like a buyer's dispute, and orders opens a PROVIDER dispute per
 * order (ChargebackOpened).
 *
 * Closed, WON: the holds are lifted and an order delivered meanwhile is released. LOST: each share leaves the
 * platform (CHARGEBACK in the ledger, to the buyer): from escrow before release; after release, from what the
 * seller has not been paid yet of the order. What was paid out already is first the platform's loss
 * (chargeback-losses), booked with the close; then, as Stripe Connect platforms do, the seller's transfer is
 * reversed for it (taken back from their connected account's balance), after the close commits since a provider
 * call has no place in a database transaction. The close writes the intent (chargeback_recoveries), and the
 * recoveries (ChargebackRecoveries) ask for it once the close commits.
 *
 * Both are idempotent by the provider's dispute id, and a closed that arrives before its created (Stripe does not
 * deliver in order) opens the chargeback first and then closes it. A recovery whose outcome is unknown (a
 * timeout, a 5xx) fails the delivery, so that Stripe delivers the close again and the recovery is asked again
 * with the same key: the seller is charged once whatever happened.
 */
export class Chargebacks {
  constructor(
    private readonly db: DataSource,
    private readonly recoveries: ChargebackRecoveries,
    private readonly escrow: () => Escrow,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
  ) {}

  /** charge.dispute.created: holds the disputed amount. False when no payment of the platform has that charge. */
  async opened(dispute: ProviderDispute): Promise<boolean> {
    const opened = await this.db.transaction(async (manager) => {
      const [known]: unknown[] = await manager.query(`SELECT 1 FROM chargebacks WHERE provider_ref = $1`, [dispute.reference]);
      if (known) return 'known';
      const payment = await paymentOf(manager, dispute);
      if (!payment || payment.status !== 'SUCCEEDED') return 'unknown';
      // the payment row first, then its orders: the order recordSuccess locks them in
      await manager.getRepository(PaymentEntity).findOne({ where: { id: payment.id }, lock: { mode: 'pessimistic_write' } });
      const orders = await manager.getRepository(PaymentOrderEntity).find({
        where: { paymentId: payment.id, cancelled: false },
        order: { orderId: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const inserted = await manager.query(
        `INSERT INTO chargebacks (provider_ref, payment_id, amount, currency, reason, status) VALUES ($1, $2, $3, $4, $5, 'OPEN')
         ON CONFLICT (provider_ref) DO NOTHING RETURNING provider_ref`,
        [dispute.reference, payment.id, dispute.amount, payment.currency, dispute.reason],
      );
      if ((inserted as unknown[]).length === 0) return 'known';
      const shares: { order: PaymentOrderEntity; amount: number }[] = [];
      let remaining = dispute.amount;
      for (const order of orders) {
        const share = Math.min(remaining, order.amount - order.refundedAmount);
        if (share <= 0) continue;
        shares.push({ order, amount: share });
        remaining -= share;
        await manager.query(`INSERT INTO escrow_holds (id, order_id, chargeback_ref, amount) VALUES ($1, $2, $3, $4)`, [
          randomUUID(),
          order.orderId,
          dispute.reference,
          share,
        ]);
      }
      if (remaining > 0) this.logger.warn('a chargeback disputes more than the platform still holds of the charge', { chargeback: dispute.reference, uncovered: remaining });
      await recordAudit(manager, 'payments', {
        action: 'chargeback.opened',
        actorId: null,
        targetType: 'chargeback',
        targetId: dispute.reference,
        details: { amount: dispute.amount, reason: dispute.reason, paymentId: payment.id },
      });
      await recordEvent(manager, 'payments', 'ChargebackOpened', {
        chargebackRef: dispute.reference,
        paymentId: payment.id,
        purchaseId: payment.purchaseId,
        buyerId: payment.buyerId,
        reason: dispute.reason,
        orders: shares.map(({ order, amount }) => ({ orderId: order.orderId, sellerId: order.sellerId, amount: { amount, currency: order.currency } })),
        at: new Date().toISOString(),
      });
      return 'opened';
    });
    if (opened === 'opened') this.afterCommit();
    if (opened === 'unknown') this.logger.warn('a chargeback on a charge no payment of the platform has', { chargeback: dispute.reference });
    return opened !== 'unknown';
  }

  /** charge.dispute.closed: won releases what is due, lost takes the shares out of the platform. */
  async closed(dispute: ProviderDispute, won: boolean): Promise<void> {
    if (!(await this.opened(dispute))) return;
    const released = await this.db.transaction(async (manager) => {
      const [chargeback]: { status: string; payment_id: string; reason: string }[] = await manager.query(
        `SELECT status, payment_id, reason FROM chargebacks WHERE provider_ref = $1 FOR UPDATE`,
        [dispute.reference],
      );
      if (chargeback.status !== 'OPEN') return null;
      const holds: HoldRow[] = await manager.query(`SELECT * FROM escrow_holds WHERE chargeback_ref = $1 AND settled_at IS NULL ORDER BY order_id`, [
        dispute.reference,
      ]);
      const releasedOrders: string[] = [];
      const closedOrders: { orderId: string; amount: { amount: number; currency: string } }[] = [];
      for (const hold of holds) {
        const order = (await manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId: hold.order_id }, lock: { mode: 'pessimistic_write' } }))!;
        closedOrders.push({ orderId: order.orderId, amount: { amount: hold.amount, currency: order.currency } });
        await manager.query(`UPDATE escrow_holds SET settled_at = now(), release_requested = $2, refund_requested = $3 WHERE id = $1`, [
          hold.id,
          won,
          won ? 0 : hold.amount,
        ]);
        if (!won) await this.takeBack(manager, order, hold.amount, dispute.reference);
        // delivered while held: the rest is the seller's now, unless a buyer's dispute still holds it
        const stillHeld = ((await manager.query(`SELECT 1 FROM escrow_holds WHERE order_id = $1 AND settled_at IS NULL`, [order.orderId])) as unknown[]).length > 0;
        if (hold.release_due && !stillHeld && (await releaseEscrow(manager, order.orderId))) releasedOrders.push(order.orderId);
      }
      await manager.query(`UPDATE chargebacks SET status = $2, closed_at = now() WHERE provider_ref = $1`, [dispute.reference, won ? 'WON' : 'LOST']);
      // money left (or stayed in) the platform by a bank's decision: on the record like an operator's
      await recordAudit(manager, 'payments', {
        action: 'chargeback.closed',
        actorId: null,
        targetType: 'chargeback',
        targetId: dispute.reference,
        details: { outcome: won ? 'WON' : 'LOST', amount: dispute.amount, paymentId: chargeback.payment_id, orders: closedOrders },
      });
      await recordEvent(manager, 'payments', 'ChargebackClosed', {
        chargebackRef: dispute.reference,
        outcome: won ? 'WON' : 'LOST',
        reason: chargeback.reason,
        orders: closedOrders,
        at: new Date().toISOString(),
      });
      return releasedOrders;
    });
    if (released) {
      this.afterCommit();
      for (const orderId of released) {
        const order = await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneByOrFail({ orderId }));
        await this.escrow().payAfterRelease(orderId, order.sellerId);
      }
    }
    // this close's recoveries, or those an earlier delivery of it left unfinished (a failure, a crash)
    await this.recoveries.recoverLost(dispute.reference);
  }

  /** A lost share leaves the platform, as a refund would, from wherever the order's money is now. */
  private async takeBack(manager: EntityManager, order: PaymentOrderEntity, amount: number, reference: string): Promise<void> {
    const feeShare = refundFeeShare({ amount: order.amount, fee: order.platformFee, shipping: order.shipping }, { refunded: order.refundedAmount, feeRefunded: order.refundedFee }, amount);
    const sellerShare = amount - feeShare;
    const { orderId, currency } = order;
    const entries: Entry[] = [{ account: accounts.buyer(order.buyerId), currency, amount, orderId }];
    if (!order.releasedAt) {
      entries.push({ account: accounts.escrow(order.sellerId), currency, amount: -sellerShare, orderId }, { account: accounts.feesPending, currency, amount: -feeShare, orderId });
    } else {
      // what of the order the seller has not been paid yet comes back from them at once; a transfer made (even one
      // still on its way) took all of it from available to paid out
      const transferred = Boolean(order.transferId || order.transferRef);
      const unpaid = transferred ? 0 : Math.max(await releasedToSeller(manager, order), 0);
      const recovered = Math.min(unpaid, sellerShare);
      const lost = sellerShare - recovered;
      entries.push(
        { account: accounts.seller(order.sellerId), currency, amount: -recovered, orderId },
        { account: accounts.chargebackLosses, currency, amount: -lost, orderId },
        { account: accounts.platformRevenue, currency, amount: -feeShare, orderId },
      );
      // the platform bears what was paid out now, so that the books follow the bank's decision at once; the
      // seller's transfer gives it back once this commits (ChargebackRecoveries.recoverLost)
      const reversible = transferred ? await this.recoveries.record(manager, reference, order, lost) : 0;
      if (lost > reversible) {
        this.logger.warn('a lost chargeback cost more than the seller can give back of the order: the platform bears the rest', {
          chargeback: reference,
          orderId,
          sellerId: order.sellerId,
          unrecovered: lost - reversible,
        });
      }
    }
    const refundedAmount = order.refundedAmount + amount;
    await manager.getRepository(PaymentOrderEntity).update(
      { orderId },
      { refundedAmount, refundedFee: order.refundedFee + feeShare, ...(refundedAmount === order.amount && !order.releasedAt ? { status: 'REFUNDED' as const } : {}) },
    );
    await postTransaction(manager, {
      reference: `chargeback:${reference}:${orderId}`,
      kind: 'CHARGEBACK',
      paymentId: order.paymentId,
      orderId,
      entries: entries.filter((e) => e.amount !== 0),
    });
  }
}

async function paymentOf(manager: EntityManager, dispute: ProviderDispute): Promise<PaymentEntity | null> {
  const payments = manager.getRepository(PaymentEntity);
  if (dispute.paymentReference) {
    const byIntent = await payments.findOneBy({ provider: 'stripe', providerRef: dispute.paymentReference });
    if (byIntent) return byIntent;
  }
  return dispute.chargeReference ? payments.findOneBy({ provider: 'stripe', chargeRef: dispute.chargeReference }) : null;
}
