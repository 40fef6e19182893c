import { IsNull, type DataSource } from 'typeorm';
import { isEvent, type MarketplaceEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import { recordEvent } from '../../lib/events/outbox';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { PaymentEntity, PaymentOrderEntity, RefundEntity } from './entities';
import { postTransaction, releaseEntries, releasedToSeller } from './ledger';
import { PaymentRefusedError, type PaymentProvider } from './provider';
import type { Refunds } from './refunds';

type StatusChanged = MarketplaceEvent<'OrderStatusChanged'>;

/** A released order whose transfer has not gone out is tried again by the sweep this long after its release. */
export const TRANSFER_RETRY_AFTER_MS = 60_000;
const SWEEP_PAGE = 100;

/**
 * What one attempt at an order's transfer came to: sent (now or before), nothing to send, the seller
 * cannot be paid yet (no account), or a refund being settled goes first.
 */
type TransferOutcome = 'transferred' | 'nothing' | 'no-account' | 'waiting';

/**
 * What payments does when orders report a status: DELIVERED releases the seller's money from escrow,
 * CANCELLED gives the buyer back what they paid for the order (or, before payment, takes the order out
 * of what they will pay). Every step is idempotent: the database work runs once per event
 * (handleOnce), provider calls carry idempotency keys, and a step that fails throws so that the bus
 * delivers the event again. The transfer to the seller after a release does not rest on the event:
 * retryTransfers sweeps released orders without a transfer (a seller who linked their account late,
 * a provider that was down).
 */
export class Escrow {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly refunds: Refunds,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
  ) {}

  async onEvent(event: EventEnvelope): Promise<void> {
    if (!isEvent(event, 'OrderStatusChanged') || !isUuid(event.payload.orderId)) return;
    if (event.payload.status === 'DELIVERED') await this.release(event);
    else if (event.payload.status === 'CANCELLED') await this.cancel(event);
  }

  /** The seller's net (less refunds) becomes available and the fee platform revenue. */
  private async release(event: StatusChanged): Promise<void> {
    const { orderId } = event.payload;
    const released = await handleOnce(this.db, 'payments', event, async (manager) => {
      const order = await manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
      if (!order?.chargedAt || order.releasedAt) return;
      // a refund being settled was reserved against escrow: the release waits for it (the bus retries)
      if (await manager.getRepository(RefundEntity).existsBy({ orderId, status: 'PENDING' })) {
        throw new Error(`order ${orderId} has a refund in progress; its escrow is released once the refund settles`);
      }
      const net = order.net - (order.refundedAmount - order.refundedFee);
      const fee = order.platformFee - order.refundedFee;
      if (net === 0 && fee === 0) return; // refunded in full: nothing left in escrow
      const at = new Date();
      await manager.getRepository(PaymentOrderEntity).update({ orderId }, { releasedAt: at, releasedNet: net, status: 'AVAILABLE' });
      await postTransaction(manager, {
        reference: `release:${orderId}`,
        kind: 'RELEASE',
        paymentId: order.paymentId,
        orderId,
        entries: releaseEntries(order, net, fee),
      });
      await recordEvent(manager, 'payments', 'EscrowReleased', {
        orderId,
        sellerId: order.sellerId,
        net: { amount: net, currency: order.currency },
        at: at.toISOString(),
      });
    });
    if (released) this.afterCommit();
    let outcome: TransferOutcome;
    try {
      outcome = await this.transferReleased(orderId);
    } catch (error) {
      // asking again cannot change a refusal: the sweep keeps trying, and an operator sees why
      if (error instanceof PaymentRefusedError) {
        this.logger.error('the payment provider refused a seller’s transfer', { orderId, sellerId: event.payload.sellerId, error });
        return;
      }
      throw error; // outcome unknown: the redelivery (or the sweep) asks again with the same idempotency key
    }
    if (outcome === 'no-account') {
      this.logger.info('the seller cannot be paid yet (no connected account): the transfer sweep pays them once they link one', {
        orderId,
        sellerId: event.payload.sellerId,
      });
    }
  }

  /**
   * Released orders without a transfer, oldest first, released at least olderThanMs ago (the DELIVERED
   * handler tries first): each is tried again. Returns how many transfers went out.
   */
  async retryTransfers(olderThanMs = TRANSFER_RETRY_AFTER_MS): Promise<number> {
    const before = new Date(Date.now() - olderThanMs);
    let after: { at: Date | string; orderId: string } = { at: '-infinity', orderId: '00000000-0000-0000-0000-000000000000' };
    let transferred = 0;
    for (;;) {
      // payment_orders_untransferred_idx; pages by (released_at, order_id), so that sellers who cannot be paid yet starve no one
      const page: { order_id: string; released_at: Date }[] = await this.db.transaction((m) =>
        m.query(
          `SELECT order_id, released_at FROM payment_orders
           WHERE released_net > 0 AND transfer_ref IS NULL AND (transfer_amount IS NULL OR transfer_amount > 0)
             AND released_at < $1 AND (released_at, order_id) > ($2::timestamptz, $3::uuid)
           ORDER BY released_at, order_id LIMIT ${SWEEP_PAGE}`,
          [before, after.at, after.orderId],
        ),
      );
      for (const { order_id: orderId } of page) {
        try {
          if ((await this.transferReleased(orderId)) === 'transferred') transferred += 1;
        } catch (error) {
          this.logger.warn('a released order’s transfer could not be made; will retry', { orderId, error });
        }
      }
      if (page.length < SWEEP_PAGE) return transferred;
      const last = page[page.length - 1];
      after = { at: last.released_at, orderId: last.order_id };
    }
  }

  /** Runs retryTransfers every intervalMs; returns how to stop it. */
  startRetrying(intervalMs: number): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() => this.retryTransfers()).catch((error: unknown) => this.logger.warn('retrying transfers failed', { error }));
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  /**
   * Pays the seller at the provider what the ledger holds for them from the order (the released net
   * less their share of refunds settled since), after the release committed:
   *   1. under the order's lock, unless a refund is being settled (it goes first), fix the amount
   *      (transfer_amount): from then until the provider confirms, refunds of the order wait;
   *   2. ask the provider, keyed by the order: a retry sends the same amount with the same key;
   *   3. record the transfer (transfer_ref). A refusal did nothing: the amount is let go, and refunds go on.
   * A seller who cannot be paid yet (canTransferTo) is left to the sweep, with nothing begun.
   */
  private async transferReleased(orderId: string): Promise<TransferOutcome> {
    const order = await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneBy({ orderId }));
    if (!order?.releasedNet || order.transferRef || order.transferAmount === 0) return 'nothing';
    if (this.provider.canTransferTo && !(await this.provider.canTransferTo(order.sellerId))) return 'no-account';
    const begun = await this.db.transaction(async (m) => {
      const current = (await m.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } }))!;
      if (current.transferRef) return 'nothing' as const;
      let amount = current.transferAmount;
      if (amount === null) {
        // a refund reserved before the transfer began settles without a reversal: the transfer must count it
        if (await m.getRepository(RefundEntity).existsBy({ orderId, status: 'PENDING' })) return 'waiting' as const;
        amount = await releasedToSeller(m, current);
        if (amount < 0 || amount > current.releasedNet!) {
          throw new Error(`order ${orderId}: the ledger holds ${amount} for its seller, of ${current.releasedNet} released`);
        }
        await m.getRepository(PaymentOrderEntity).update({ orderId }, { transferAmount: amount });
      }
      if (amount === 0) return 'nothing' as const; // refunded in full since the release
      const payment = await m.getRepository(PaymentEntity).findOneByOrFail({ id: current.paymentId });
      return { amount, payment };
    });
    if (typeof begun === 'string') return begun;
    const { amount, payment } = begun;
    let reference: string;
    try {
      ({ reference } = await this.provider.transfer({
        chargeReference: payment.chargeRef!,
        transferGroup: payment.purchaseId,
        sellerId: order.sellerId,
        amount: { amount, currency: order.currency },
        idempotencyKey: `transfer:${orderId}`,
      }));
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        await this.db.transaction((m) =>
          m.getRepository(PaymentOrderEntity).update({ orderId, transferRef: IsNull(), transferAmount: amount }, { transferAmount: null }),
        );
      }
      throw error;
    }
    await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).update({ orderId, transferRef: IsNull() }, { transferRef: reference }));
    return 'transferred';
  }

  private async cancel(event: StatusChanged): Promise<void> {
    const { orderId } = event.payload;
    const order = await this.db.transaction((m) => m.getRepository(PaymentOrderEntity).findOneBy({ orderId }));
    if (!order) return;
    if (order.chargedAt) return this.refunds.refundCancelled(event, orderId);
    await handleOnce(this.db, 'payments', event, async (manager) => {
      // the payment row first, as confirming a payment locks it: the two queue instead of deadlocking
      const payment = await manager.getRepository(PaymentEntity).findOne({ where: { id: order.paymentId }, lock: { mode: 'pessimistic_write' } });
      const current = await manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
      if (!payment || !current) return;
      // paid between the read above and the lock: fail, so that the redelivery refunds it instead
      if (current.chargedAt) throw new Error(`order ${orderId} was paid while its cancellation was handled; retrying as a refund`);
      if (current.cancelled) return;
      await manager.getRepository(PaymentOrderEntity).update({ orderId }, { cancelled: true });
      const left = await manager.getRepository(PaymentOrderEntity).countBy({ paymentId: payment.id, cancelled: false });
      await manager.getRepository(PaymentEntity).update(
        { id: payment.id },
        { amount: payment.amount - current.amount, updatedAt: new Date(), ...(left === 0 ? { status: 'CANCELLED' as const } : {}) },
      );
    });
    await this.syncAmount(order.paymentId);
  }

  /** Tells the provider what the buyer will now pay; setting an amount is idempotent by nature. */
  private async syncAmount(paymentId: string): Promise<void> {
    const payment = await this.db.transaction((m) => m.getRepository(PaymentEntity).findOneByOrFail({ id: paymentId }));
    if (payment.status === 'SUCCEEDED') return;
    await this.provider.updateAmount({
      reference: payment.providerRef,
      amount: { amount: payment.amount, currency: payment.currency },
      idempotencyKey: `amount:${payment.id}:${payment.amount}`,
    });
  }
}
