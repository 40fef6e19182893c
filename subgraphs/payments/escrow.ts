import type { DataSource, EntityManager } from 'typeorm';
import { isEvent, type MarketplaceEvent } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import { recordEvent } from '../../lib/events/outbox';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { PaymentEntity, PaymentOrderEntity, RefundEntity } from './entities';
import { postTransaction, releaseEntries } from './ledger';
import { PaymentRefusedError, type PaymentProvider } from './provider';
import type { Refunds } from './refunds';
import { markReleaseDue } from './escrow-holds';
import type { SellerTransfers, TransferOutcome } from './transfers';

type StatusChanged = MarketplaceEvent<'OrderStatusChanged'>;

/**
 * What payments does when orders report a status: DELIVERED releases the seller's money from escrow,
 * CANCELLED gives the buyer back what they paid for the order (or, before payment, takes the order out
 * of what they will pay). Every step is idempotent: the database work runs once per event
 * (handleOnce), provider calls carry idempotency keys, and a step that fails throws so that the bus
 * delivers the event again. The transfer to the seller after a release (transfers.ts) does not rest
 * on the event: its sweep pays what waited (a seller enabled late, a provider that was down).
 */
export class Escrow {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly refunds: Refunds,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
    private readonly transfers: SellerTransfers,
  ) {}

  async onEvent(event: EventEnvelope): Promise<void> {
    if (!isEvent(event, 'OrderStatusChanged') || !isUuid(event.payload.orderId)) return;
    if (event.payload.status === 'DELIVERED') await this.release(event);
    else if (event.payload.status === 'CANCELLED') await this.cancel(event);
  }

  /** The seller's net (less refunds) becomes available and the fee platform revenue, unless a dispute holds it. */
  private async release(event: StatusChanged): Promise<void> {
    const { orderId } = event.payload;
    const released = await handleOnce(this.db, 'payments', event, async (manager) => {
      // a dispute holds the money: released (or refunded) when it is decided, not on delivery
      if (await markReleaseDue(manager, orderId)) return;
      await releaseEscrow(manager, orderId);
    });
    if (released) this.afterCommit();
    await this.payAfterRelease(orderId, event.payload.sellerId);
  }

  /** A PER_ORDER seller is paid at once; a failure is logged and the transfer sweep tries again. */
  async payAfterRelease(orderId: string, sellerId: string): Promise<void> {
    let outcome: TransferOutcome;
    try {
      outcome = await this.transfers.afterRelease(orderId);
    } catch (error) {
      // The release is done; the transfer does not rest on this event. Refused: FAILED, its money back in
      // available, and a new transfer later. Unknown: PENDING, asked again with the same key by the sweep.
      const refused = error instanceof PaymentRefusedError;
      this.logger[refused ? 'error' : 'warn'](refused ? 'the payment provider refused a seller’s transfer' : 'a seller’s transfer’s outcome is unknown; the sweep asks again', {
        orderId,
        sellerId,
        error,
      });
      return;
    }
    if (outcome === 'not-enabled') {
      this.logger.info('the seller cannot be paid yet (payouts not enabled, or the shop suspended): their money waits in available until they can', { orderId, sellerId });
    }
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

/**
 * Under the order's lock: the seller's net (less refunds) becomes available and the fee platform revenue, with the
 * ledger's RELEASE and EscrowReleased. False when there is nothing to release (not charged, released already,
 * refunded in full). Throws while a refund is being settled: the release waits for it.
 */
export async function releaseEscrow(manager: EntityManager, orderId: string): Promise<boolean> {
  const order = await manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
  if (!order?.chargedAt || order.releasedAt) return false;
  // a refund being settled was reserved against escrow: the release waits for it (the bus retries)
  if (await manager.getRepository(RefundEntity).existsBy({ orderId, status: 'PENDING' })) {
    throw new Error(`order ${orderId} has a refund in progress; its escrow is released once the refund settles`);
  }
  const net = order.net - (order.refundedAmount - order.refundedFee);
  const fee = order.platformFee - order.refundedFee;
  if (net === 0 && fee === 0) return false; // refunded in full: nothing left in escrow
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
  return true;
}
