import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { EventPayloads } from '../../lib/events/catalog';
import { recordEvent } from '../../lib/events/outbox';
import { insertDispute, openDisputeOf } from './disputes';
import { DisputeEntity, OrderEntity, type DisputeReason } from './entities';
import type { OrderStatus } from './order-state';
import { applyMove } from './transitions';

/** Stripe's reasons, as the marketplace's. */
const REASONS: Record<string, DisputeReason> = {
  product_not_received: 'NOT_RECEIVED',
  product_unacceptable: 'NOT_AS_DESCRIBED',
};

const DISPUTABLE: readonly OrderStatus[] = ['PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED'];

/**
 * A chargeback payments reported: a PROVIDER dispute per order it holds money of, the order DISPUTED (nothing moves
 * it meanwhile) and its seller told. Idempotent: a dispute per chargeback and order. An order a buyer's dispute
 * already holds keeps that one (the money is held by both in payments; the bank's outcome is applied there).
 */
export async function chargebackOpened(manager: EntityManager, event: EventPayloads['ChargebackOpened']): Promise<void> {
  for (const share of event.orders) {
    const order = await manager.getRepository(OrderEntity).findOne({ where: { id: share.orderId }, lock: { mode: 'pessimistic_write' } });
    if (!order || !DISPUTABLE.includes(order.status)) continue;
    // known already (a redelivery, or its close came first), or a buyer's dispute holds the order
    if (await manager.getRepository(DisputeEntity).existsBy({ providerRef: event.chargebackRef, orderId: order.id })) continue;
    if (await openDisputeOf(manager, order.id)) continue;
    const dispute = await insertChargeback(manager, order, event.chargebackRef, event.reason, share.amount.amount);
    await applyMove(manager, order.id, 'chargeback', 'SYSTEM');
    await recordEvent(manager, 'orders', 'DisputeOpened', {
      disputeId: dispute.id,
      orderId: order.id,
      buyerId: order.buyerId,
      sellerId: order.sellerId,
      source: 'PROVIDER',
      reason: dispute.reason,
      amount: share.amount,
      at: dispute.createdAt.toISOString(),
    });
  }
}

function insertChargeback(manager: EntityManager, order: OrderEntity, providerRef: string, providerReason: string, amount: number): Promise<DisputeEntity> {
  return insertDispute(manager, order, {
    id: randomUUID(),
    source: 'PROVIDER',
    reason: REASONS[providerReason] ?? 'OTHER',
    details: `The buyer's bank disputes ${amount} (minor units) of the payment (${providerReason}).`,
    providerRef,
    disputedAmount: amount,
  });
}

/**
 * The bank decided. Won: the order goes back to where it was (payments releases what came due meanwhile). Lost: the
 * disputed share went back to the buyer; an order lost whole is REFUNDED, one lost in part goes back to where it was.
 */
export async function chargebackClosed(manager: EntityManager, event: EventPayloads['ChargebackClosed']): Promise<void> {
  for (const share of event.orders) {
    const order = await manager.getRepository(OrderEntity).findOne({ where: { id: share.orderId }, lock: { mode: 'pessimistic_write' } });
    if (!order) continue;
    let dispute = await manager.getRepository(DisputeEntity).findOneBy({ providerRef: event.chargebackRef, orderId: order.id });
    // its opening has not been heard yet (events of two transactions may cross): recorded, decided at once, and
    // the late opening finds it; the order was never DISPUTED here
    if (!dispute) {
      if (!DISPUTABLE.includes(order.status) || (await openDisputeOf(manager, order.id))) continue;
      dispute = await insertChargeback(manager, order, event.chargebackRef, event.reason, share.amount.amount);
    }
    if (dispute.status === 'RESOLVED') continue;
    const won = event.outcome === 'WON';
    const refunded = won ? 0 : share.amount.amount;
    const outcome = won ? 'RELEASE_TO_SELLER' : refunded >= order.totalAmount ? 'REFUND_BUYER' : 'PARTIAL_REFUND';
    const now = new Date();
    await manager.getRepository(DisputeEntity).update(
      { id: dispute.id },
      { status: 'RESOLVED', outcome, refundedAmount: refunded, resolutionNote: `The buyer's bank decided: ${won ? 'won' : 'lost'}.`, resolvedAt: now, updatedAt: now },
    );
    if (outcome === 'REFUND_BUYER') await applyMove(manager, order.id, 'markRefunded', 'SYSTEM');
    else if (order.status === 'DISPUTED') await applyMove(manager, order.id, 'resume', 'SYSTEM', { resumeTo: dispute.previousStatus });
    await recordEvent(manager, 'orders', 'DisputeResolved', {
      disputeId: dispute.id,
      orderId: order.id,
      buyerId: dispute.buyerId,
      sellerId: dispute.sellerId,
      source: 'PROVIDER',
      outcome,
      refunded: { amount: refunded, currency: dispute.currency.trim() },
      at: now.toISOString(),
    });
  }
}
