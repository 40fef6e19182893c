import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import { returnedRows } from '../../lib/db/affected';
import { recordEvent } from '../../lib/events/outbox';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { PaymentEntity, PaymentOrderEntity, TransferEntity } from './entities';
import { releaseEscrow, type Escrow } from './escrow';
import { accounts, paidOutToSeller, postTransaction, refundFeeShare, releasedToSeller, type Entry } from './ledger';
import { PaymentRefusedError, type PaymentProvider } from './provider';

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

interface RecoveryRow {
  seller_id: string;
  currency: string;
  amount: number;
}

/**
 * How long a delivery that is asking the provider for a recovery keeps it to itself: a concurrent delivery of
 * the same close leaves it alone meanwhile, and one after a crash finds it free again.
 */
const RECOVERY_CLAIM_SECONDS = 60;
/**
 * A recovery still PENDING this long after the close is the sweep's too: Stripe stops delivering a failing close
 * after three days, and a seller's transfer may stay unconfirmed longer (their payouts disabled meanwhile).
 */
export const RECOVERY_RETRY_AFTER_MS = 10 * 60_000;

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
 * call has no place in a database transaction. The close writes the intent (chargeback_recoveries); the reversal
 * is asked with a key of the chargeback and order, and a second CHARGEBACK transaction moves what came back out
 * of the loss. If the provider refuses (the seller's balance cannot cover it), the platform bears it, logged.
 *
 * Both are idempotent by the provider's dispute id, and a closed that arrives before its created (Stripe does not
 * deliver in order) opens the chargeback first and then closes it. A recovery whose outcome is unknown (a
 * timeout, a 5xx) fails the delivery, so that Stripe delivers the close again and the recovery is asked again
 * with the same key: the seller is charged once whatever happened.
 */
export class Chargebacks {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
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
    await this.recoverLost(dispute.reference);
  }

  /** Asks again for recoveries left PENDING longer than olderThanMs, whichever chargeback they are of. */
  async retryPending(olderThanMs = RECOVERY_RETRY_AFTER_MS): Promise<number> {
    const stale: { chargeback_ref: string; order_id: string }[] = await this.db.transaction((m) =>
      m.query(`SELECT chargeback_ref, order_id FROM chargeback_recoveries WHERE status = 'PENDING' AND created_at <= $1 ORDER BY created_at LIMIT 100`, [
        new Date(Date.now() - olderThanMs),
      ]),
    );
    for (const { chargeback_ref: chargebackRef, order_id: orderId } of stale) {
      try {
        await this.recover(chargebackRef, orderId);
      } catch (error) {
        this.logger.warn('a lost chargeback’s recovery from the seller could not be finished; will retry', { chargeback: chargebackRef, orderId, error });
      }
    }
    return stale.length;
  }

  /** Runs retryPending every intervalMs; returns how to stop it. */
  startRetrying(intervalMs: number): () => Promise<void> {
    return startPeriodic('retrying chargeback recoveries', intervalMs, () => this.retryPending(), this.logger);
  }

  /**
   * Asks the provider for each PENDING recovery of the chargeback. One that cannot finish now is left PENDING and
   * the first such failure thrown once the others were tried: the webhook answers 500, and Stripe's redelivery
   * asks again.
   */
  private async recoverLost(chargebackRef: string): Promise<void> {
    const pending: { order_id: string }[] = await this.db.transaction((m) =>
      m.query(`SELECT order_id FROM chargeback_recoveries WHERE chargeback_ref = $1 AND status = 'PENDING' ORDER BY order_id`, [chargebackRef]),
    );
    let failure: unknown = null;
    for (const { order_id: orderId } of pending) {
      try {
        await this.recover(chargebackRef, orderId);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  /** One order's recovery: claimed, asked of the provider, then settled (or refused) in the books. */
  private async recover(chargebackRef: string, orderId: string): Promise<void> {
    const claimed = await this.db.transaction(async (m) => {
      const [recovery] = returnedRows<RecoveryRow>(
        await m.query(
          `UPDATE chargeback_recoveries SET claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1
           WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < now())
           RETURNING seller_id, currency, amount`,
          [chargebackRef, orderId, RECOVERY_CLAIM_SECONDS],
        ),
      );
      if (!recovery) return null;
      const order = await m.getRepository(PaymentOrderEntity).findOneByOrFail({ orderId });
      const transfer = order.transferId ? await m.getRepository(TransferEntity).findOneBy({ id: order.transferId }) : null;
      return { recovery, transfer };
    });
    // settled already, or another delivery is asking right now
    if (!claimed) return;
    const { recovery, transfer } = claimed;
    const context = { chargeback: chargebackRef, orderId, sellerId: recovery.seller_id, amount: recovery.amount };
    if (!transfer) {
      // the provider refused the transfer since the close, and its share went back to available: taken from there
      return this.settleRecovery(chargebackRef, orderId, null);
    }
    if (!transfer.providerRef) {
      await this.releaseClaim(chargebackRef, orderId, 'the seller’s transfer is not confirmed yet');
      throw new Error(`chargeback ${chargebackRef}: the transfer of order ${orderId} is not confirmed yet; its recovery waits for it`);
    }
    let reversal: string;
    try {
      ({ reference: reversal } = await this.provider.reverseTransfer({
        transferReference: transfer.providerRef,
        amount: { amount: recovery.amount, currency: recovery.currency },
        metadata: { chargeback: chargebackRef, order_id: orderId },
        idempotencyKey: `chargeback:${chargebackRef}:${orderId}:reversal`,
      }));
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        // nothing was taken back: the loss booked with the close stays the platform's
        await this.db.transaction((m) =>
          m.query(
            `UPDATE chargeback_recoveries SET status = 'REFUSED', failure = $3, claimed_until = NULL, settled_at = now()
             WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING'`,
            [chargebackRef, orderId, error.message.slice(0, 500)],
          ),
        );
        this.logger.warn('the provider refused to take a lost chargeback back from the seller’s transfer: the platform bears it', { ...context, error });
        return;
      }
      // the reversal may have been made: only the same key may ask again, at the next delivery
      await this.releaseClaim(chargebackRef, orderId, String((error as Error).message ?? error));
      this.logger.warn('a lost chargeback’s recovery from the seller has an unknown outcome; asked again at the next delivery', { ...context, error });
      throw error;
    }
    await this.settleRecovery(chargebackRef, orderId, { transfer, reversal });
  }

  private async releaseClaim(chargebackRef: string, orderId: string, failure: string): Promise<void> {
    await this.db.transaction((m) =>
      m.query(`UPDATE chargeback_recoveries SET claimed_until = NULL, failure = $3 WHERE chargeback_ref = $1 AND order_id = $2 AND status = 'PENDING'`, [
        chargebackRef,
        orderId,
        failure.slice(0, 500),
      ]),
    );
  }

  /**
   * What came back leaves the platform's loss: from paid out (the transfer was reversed), or from available when
   * the transfer was refused meanwhile. Once, under the recovery's lock and by the ledger reference.
   */
  private async settleRecovery(chargebackRef: string, orderId: string, reversed: { transfer: TransferEntity; reversal: string } | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const [recovery]: (RecoveryRow & { status: string })[] = await m.query(
        `SELECT seller_id, currency, amount, status FROM chargeback_recoveries WHERE chargeback_ref = $1 AND order_id = $2 FOR UPDATE`,
        [chargebackRef, orderId],
      );
      if (recovery?.status !== 'PENDING') return;
      const order = (await m.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } }))!;
      // from available, no more than the order has left there (a new transfer is made under this same lock)
      const amount = reversed ? recovery.amount : Math.min(recovery.amount, Math.max(await releasedToSeller(m, order), 0));
      const from = reversed ? accounts.paidOut(recovery.seller_id) : accounts.seller(recovery.seller_id);
      await m.query(
        `UPDATE chargeback_recoveries SET status = 'RECOVERED', transfer_id = $3, provider_ref = $4, claimed_until = NULL, failure = NULL, settled_at = now()
         WHERE chargeback_ref = $1 AND order_id = $2`,
        [chargebackRef, orderId, reversed?.transfer.id ?? null, reversed?.reversal ?? null],
      );
      if (reversed) {
        // as a refund's reversal is recorded (refunds.ts): REVERSED once all of the transfer is back
        await m.query(
          `UPDATE transfers SET reversed_amount = reversed_amount + $2,
             status = CASE WHEN reversed_amount + $2 = amount THEN 'REVERSED' ELSE status END, updated_at = now()
           WHERE id = $1`,
          [reversed.transfer.id, amount],
        );
      }
      await postTransaction(m, {
        reference: `chargeback-recovery:${chargebackRef}:${orderId}`,
        kind: 'CHARGEBACK',
        paymentId: order.paymentId,
        orderId,
        entries: [
          { account: from, currency: recovery.currency, amount: -amount, orderId },
          { account: accounts.chargebackLosses, currency: recovery.currency, amount, orderId },
        ].filter((e) => e.amount !== 0),
      });
      // money taken from a seller's balance: on the record, like the close that caused it
      await recordAudit(m, 'payments', {
        action: 'chargeback.recovered',
        actorId: null,
        targetType: 'chargeback',
        targetId: chargebackRef,
        details: { orderId, sellerId: recovery.seller_id, amount, currency: recovery.currency, transferId: reversed?.transfer.id ?? null, reversal: reversed?.reversal ?? null },
      });
      if (amount < recovery.amount) {
        this.logger.warn('a lost chargeback was recovered in part from the seller’s available balance: the platform bears the rest', {
          chargeback: chargebackRef,
          orderId,
          recovered: amount,
          unrecovered: recovery.amount - amount,
        });
      }
    });
    this.afterCommit();
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
      // seller's transfer gives it back once this commits (recoverLost)
      const reversible = transferred ? Math.min(lost, await reversibleOf(manager, order)) : 0;
      if (reversible > 0) {
        await manager.query(
          `INSERT INTO chargeback_recoveries (chargeback_ref, order_id, seller_id, currency, amount, status) VALUES ($1, $2, $3, $4, $5, 'PENDING')
           ON CONFLICT DO NOTHING`,
          [reference, orderId, order.sellerId, currency, reversible],
        );
      }
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

/** What of an order's transfer can still be reversed: paid out from it, less recoveries asked and not yet settled. */
async function reversibleOf(manager: EntityManager, order: PaymentOrderEntity): Promise<number> {
  const [{ pending }]: { pending: string }[] = await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS pending FROM chargeback_recoveries WHERE order_id = $1 AND status = 'PENDING'`,
    [order.orderId],
  );
  return Math.max((await paidOutToSeller(manager, order)) - Number(pending), 0);
}

async function paymentOf(manager: EntityManager, dispute: ProviderDispute): Promise<PaymentEntity | null> {
  const payments = manager.getRepository(PaymentEntity);
  if (dispute.paymentReference) {
    const byIntent = await payments.findOneBy({ provider: 'stripe', providerRef: dispute.paymentReference });
    if (byIntent) return byIntent;
  }
  return dispute.chargeReference ? payments.findOneBy({ provider: 'stripe', chargeRef: dispute.chargeReference }) : null;
}
