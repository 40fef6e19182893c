import { randomUUID } from 'node:crypto';
import { LessThan, type DataSource, type EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { handleOnce } from '../../lib/events/consumer';
import { recordAudit } from '../../lib/audit/record';
import { recordEvent } from '../../lib/events/outbox';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { startPeriodic } from '../../lib/periodic';
import { PaymentEntity, PaymentOrderEntity, RefundEntity } from './entities';
import { postTransaction, refundEntries, refundFeeShare } from './ledger';
import { PaymentRefusedError, type PaymentProvider } from './provider';

/** A refund as clients see it: with the order's currency. */
export type RefundView = RefundEntity & { currency: string };

const MAX_REASON = 500;
const MAX_AMOUNT = 2 ** 31 - 1;
/** A refund still PENDING this long after it was reserved lost its request or its event (a crash, a restart). */
export const STALE_REFUND_MS = 60_000;

/**
 * Refunds in three steps, so that the provider is never called inside a database transaction:
 *   1. reserve: under the order's row lock, check what is left and write a PENDING refund, which holds
 *      its amount against the order (concurrent refunds queue on the lock and see it);
 *   2. ask the provider, with the refund's id as idempotency key (a retry refunds once);
 *   3. settle: in one transaction the refund SUCCEEDED, the order's totals, the ledger and OrderRefunded.
 * If the provider refuses (PaymentRefusedError: nothing happened), a seller's refund becomes FAILED and holds
 * nothing any more; a refund caused by a cancellation is never given up: the event's redelivery, or retryStale,
 * retries it until it goes through. A refund whose outcome is unknown (a timeout, a network error, a 5xx: the
 * provider may have made it) stays PENDING, as does one whose request died between the steps: retryStale
 * finishes it with the same idempotency key.
 */
export class Refunds {
  constructor(
    private readonly db: DataSource,
    private readonly provider: PaymentProvider,
    private readonly afterCommit: () => void,
    private readonly logger: Logger,
  ) {}

  /** The order's seller refunds part (amount) or all that is left (no amount) of a paid order. */
  async refundOrder(viewer: Viewer, orderId: string, amount: number | null, reason: string | null): Promise<RefundView> {
    if (amount !== null && (!Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT)) {
      throw badInput('amount must be a positive whole number of minor units', 'amount');
    }
    const why = reason?.trim() || null;
    if (why && why.length > MAX_REASON) throw badInput(`reason must be at most ${MAX_REASON} characters`, 'reason');
    if (!isUuid(orderId)) throw notFound('Order');
    const refund = await this.db.transaction(async (manager) => {
      const order = await lockOrder(manager, orderId);
      if (!order) throw notFound('Order');
      if (viewer.seller?.id !== order.sellerId) throw forbidden('Only the seller of this order can refund it');
      if (!order.chargedAt) throw conflict('This order has not been paid: there is nothing to refund');
      const reserved = await reserve(manager, order, { amount, reason: why, sourceEventId: null });
      // the seller's decision, audited where it is taken (the provider's answer comes after, on the refund itself)
      await recordAudit(manager, 'payments', {
        action: 'order.refunded',
        actorId: viewer.userId,
        targetType: 'order',
        targetId: orderId,
        details: { refundId: reserved.id, amount: reserved.amount, currency: order.currency, reason: why },
      });
      return reserved;
    });
    return this.settle(refund);
  }

  /**
   * An order was cancelled after payment: everything not yet refunded goes back to the buyer. The
   * refund is keyed by the event, so a redelivery finds it and finishes it instead of starting another.
   */
  async refundCancelled(event: EventEnvelope, orderId: string): Promise<void> {
    const refund = await this.db.transaction(async (manager) => {
      const order = await lockOrder(manager, orderId);
      if (!order) return null;
      const existing = await manager.getRepository(RefundEntity).findOneBy({ sourceEventId: event.id });
      if (existing) return existing;
      if (!order.cancelled) await manager.getRepository(PaymentOrderEntity).update({ orderId }, { cancelled: true });
      // released money went to the seller: the order state machine never cancels a delivered order
      if (order.releasedAt) return null;
      const left = order.amount - order.refundedAmount - (await pendingOf(manager, orderId)).amount;
      if (left === 0) return null;
      return reserve(manager, order, { amount: left, reason: 'Order cancelled', sourceEventId: event.id });
    });
    if (refund) await this.settle(refund, event);
  }

  /**
   * A dispute's decision gives `amount` back to the buyer. The refund is keyed by the dispute (its
   * source), so that asking again (the operator's retry after a failure) finishes the same refund
   * instead of making another; a refund the provider has not confirmed stays PENDING and throws.
   */
  async refundForDispute(disputeId: string, orderId: string, amount: number, reason: string): Promise<RefundView> {
    const refund = await this.db.transaction(async (manager) => {
      const order = await lockOrder(manager, orderId);
      if (!order) throw notFound('Order');
      const existing = await manager.getRepository(RefundEntity).findOneBy({ sourceEventId: disputeId });
      if (existing) return existing;
      return reserve(manager, order, { amount, reason, sourceEventId: disputeId });
    });
    const settled = await this.settle(refund);
    if (settled.status !== 'SUCCEEDED') throw new Error(`the dispute's refund ${refund.id} is ${settled.status} at the provider`);
    return settled;
  }

  /**
   * Finishes refunds left PENDING by a request (or an event delivery) that died before step 3: the provider answers
   * the same idempotency key with the first answer, so the buyer is refunded once whatever happened.
   * Until then such a refund holds its amount, and the order's escrow waits for it.
   */
  async retryStale(olderThanMs = STALE_REFUND_MS): Promise<number> {
    const stale = await this.db.transaction((m) =>
      m.getRepository(RefundEntity).find({
        where: { status: 'PENDING', createdAt: LessThan(new Date(Date.now() - olderThanMs)) },
        order: { createdAt: 'ASC' },
        take: 100,
      }),
    );
    for (const refund of stale) {
      try {
        await this.settle(refund);
      } catch (error) {
        this.logger.warn('a stale refund could not be finished; will retry', { refundId: refund.id, error });
      }
    }
    return stale.length;
  }

  /** Runs retryStale every intervalMs; returns how to stop it. */
  startRetrying(intervalMs: number): () => Promise<void> {
    return startPeriodic('retrying stale refunds', intervalMs, () => this.retryStale(), this.logger);
  }

  /** Steps 2 and 3. With the event that caused the refund, settling also marks the event processed. */
  private async settle(refund: RefundEntity, cause?: EventEnvelope): Promise<RefundView> {
    const { order, payment } = await this.db.transaction(async (m) => {
      const order = await m.getRepository(PaymentOrderEntity).findOneByOrFail({ orderId: refund.orderId });
      return { order, payment: await m.getRepository(PaymentEntity).findOneByOrFail({ id: order.paymentId }) };
    });
    if (refund.status !== 'PENDING') return { ...refund, currency: order.currency };
    let providerRef: string;
    try {
      ({ reference: providerRef } = await this.provider.refund({
        reference: payment.providerRef,
        chargeReference: payment.chargeRef!,
        amount: { amount: refund.amount, currency: order.currency },
        reverseTransfer: refund.reversedTransferId
          ? { transferReference: order.transferRef!, amount: refund.amount - refund.feeShare }
          : undefined,
        metadata: { refund_id: refund.id },
        idempotencyKey: `refund:${refund.id}`,
      }));
    } catch (error) {
      // the buyer is owed a cancelled order's money: its refund stays PENDING and is tried again
      if (cause || refund.sourceEventId) throw error;
      if (!(error instanceof PaymentRefusedError)) {
        // the provider may have made it: only the same idempotency key may ask again (retryStale)
        this.logger.warn('a refund’s outcome at the payment provider is unknown; it stays PENDING and is retried', {
          refundId: refund.id,
          orderId: refund.orderId,
          error,
        });
        return { ...refund, currency: order.currency };
      }
      this.logger.warn('the payment provider refused a refund', { refundId: refund.id, orderId: refund.orderId, error });
      await this.db.transaction((m) => m.getRepository(RefundEntity).update({ id: refund.id, status: 'PENDING' }, { status: 'FAILED' }));
      return { ...refund, status: 'FAILED', currency: order.currency };
    }
    let settled: RefundView = { ...refund, currency: order.currency };
    const commit = async (manager: EntityManager) => {
      settled = await finalise(manager, refund.id, providerRef);
    };
    if (cause) await handleOnce(this.db, 'payments', cause, commit);
    else await this.db.transaction(commit);
    this.afterCommit();
    return settled;
  }
}

async function lockOrder(manager: EntityManager, orderId: string): Promise<PaymentOrderEntity | null> {
  return manager.getRepository(PaymentOrderEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
}

/** What PENDING refunds hold against an order: their amounts and fee shares. */
async function pendingOf(manager: EntityManager, orderId: string): Promise<{ amount: number; fee: number }> {
  const pending = await manager.getRepository(RefundEntity).findBy({ orderId, status: 'PENDING' });
  return {
    amount: pending.reduce((sum, r) => sum + r.amount, 0),
    fee: pending.reduce((sum, r) => sum + r.feeShare, 0),
  };
}

/** Step 1, under the caller's lock on the order row. Null amount: everything left. */
async function reserve(
  manager: EntityManager,
  order: PaymentOrderEntity,
  request: { amount: number | null; reason: string | null; sourceEventId: string | null },
): Promise<RefundEntity> {
  // the seller's transfer was begun and is not confirmed: the refund could neither come off it (no transfer to
  // reverse yet) nor out of the platform's balance (the transfer's amount is fixed), so it waits
  if (order.transferAmount && !order.transferRef) {
    throw conflict('The seller’s payout for this order is on its way to them; try the refund again in a minute');
  }
  const pending = await pendingOf(manager, order.orderId);
  const refunded = order.refundedAmount + pending.amount;
  const left = order.amount - refunded;
  if (request.amount === null && left === 0) throw conflict('This order has been refunded in full already');
  const amount = request.amount ?? left;
  if (amount > left) throw badInput(`At most ${left} (minor units) is left to refund on this order`, 'amount');
  const refund = manager.getRepository(RefundEntity).create({
    id: randomUUID(),
    orderId: order.orderId,
    amount,
    feeShare: refundFeeShare({ amount: order.amount, fee: order.platformFee, shipping: order.shipping }, { refunded, feeRefunded: order.refundedFee + pending.fee }, amount),
    // the release waits for pending refunds, so this stays true until the refund settles
    fromEscrow: order.releasedAt === null,
    // the seller was paid: their share comes back from the transfer (a reversal)
    reversedTransferId: order.transferRef ? order.transferId : null,
    reason: request.reason,
    status: 'PENDING',
    providerRef: null,
    sourceEventId: request.sourceEventId,
    createdAt: new Date(),
  });
  await manager.getRepository(RefundEntity).insert(refund);
  return refund;
}

/** Step 3: the refund, the order's totals, the ledger and the event, all or nothing. */
async function finalise(manager: EntityManager, refundId: string, providerRef: string): Promise<RefundView> {
  const refunds = manager.getRepository(RefundEntity);
  const { orderId } = await refunds.findOneByOrFail({ id: refundId });
  const order = (await lockOrder(manager, orderId))!;
  const refund = await refunds.findOneByOrFail({ id: refundId });
  if (refund.status !== 'PENDING') return { ...refund, currency: order.currency };
  const refundedAmount = order.refundedAmount + refund.amount;
  const fullyRefunded = refundedAmount === order.amount;
  await manager.getRepository(PaymentOrderEntity).update(
    { orderId },
    { refundedAmount, refundedFee: order.refundedFee + refund.feeShare, ...(fullyRefunded ? { status: 'REFUNDED' as const } : {}) },
  );
  await refunds.update({ id: refundId }, { status: 'SUCCEEDED', providerRef });
  if (refund.reversedTransferId) {
    await manager.query(
      `UPDATE transfers SET reversed_amount = reversed_amount + $2,
         status = CASE WHEN reversed_amount + $2 = amount THEN 'REVERSED' ELSE status END, updated_at = now()
       WHERE id = $1`,
      [refund.reversedTransferId, refund.amount - refund.feeShare],
    );
  }
  await postTransaction(manager, {
    reference: `refund:${refund.id}`,
    kind: 'REFUND',
    paymentId: order.paymentId,
    orderId,
    entries: refundEntries(order, refund),
  });
  await recordEvent(manager, 'payments', 'OrderRefunded', {
    orderId,
    amount: { amount: refund.amount, currency: order.currency },
    fullyRefunded,
    at: new Date().toISOString(),
  });
  return { ...refund, status: 'SUCCEEDED', providerRef, currency: order.currency };
}
