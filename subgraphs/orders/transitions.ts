import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { OrderEntity, OrderItemEntity, PurchaseEntity, StatusChangeEntity } from './entities';
import { checkMove, type OrderActor, type OrderMove, type OrderStatus } from './order-state';

export interface MoveOptions {
  carrier?: string | null;
  trackingNumber?: string | null;
  reason?: string | null;
  /** resume: the status a disputed order goes back to. */
  resumeTo?: OrderStatus;
}

/** The role the viewer plays in an order, if any: a seller buying from another shop is its buyer. */
export function roleIn(order: OrderEntity, viewer: Viewer | null): OrderActor | undefined {
  if (viewer?.seller?.id === order.sellerId) return 'SELLER';
  if (viewer?.userId === order.buyerId) return 'BUYER';
  return undefined;
}

/**
 * Changes an order's status inside the caller's transaction: the row is locked, the move checked
 * against the transition table, the change kept in the history and reported as an
 * OrderStatusChanged event in the outbox, all or nothing.
 * Returns undefined when a SYSTEM move no longer applies (a late or repeated event).
 */
export async function applyMove(
  manager: EntityManager,
  orderId: string,
  move: OrderMove,
  actor: OrderActor,
  options: MoveOptions = {},
): Promise<OrderEntity | undefined> {
  const orders = manager.getRepository(OrderEntity);
  const order = await orders.findOne({ where: { id: orderId }, lock: { mode: 'pessimistic_write' } });
  // an event about an order this instance never had is not worth retrying for ever
  if (!order) return actorIsSystem(actor) ? undefined : Promise.reject(notFound('Order'));
  const check = checkMove(move, order.status, actor);
  if (!check.ok) {
    if (actor === 'SYSTEM') return undefined;
    if (check.reason === 'NOT_ALLOWED_FOR_ACTOR') throw forbidden(`The ${actor.toLowerCase()} cannot ${describe(move)}`);
    throw conflict(`An order that is ${order.status} cannot ${describe(move)}`);
  }
  const previousStatus = order.status;
  const now = new Date();
  const to = move === 'resume' && options.resumeTo ? options.resumeTo : check.to;
  const changes: Partial<OrderEntity> = { status: to, updatedAt: now };
  if (move === 'ship') {
    changes.shippedAt = now;
    changes.carrier = options.carrier?.trim() || null;
    changes.trackingNumber = options.trackingNumber?.trim() || null;
  }
  if (to === 'CANCELLED') changes.cancellationReason = options.reason?.trim() || (move === 'expire' ? 'Payment was not received in time' : null);
  await orders.update({ id: orderId }, changes);
  await manager.getRepository(StatusChangeEntity).insert({ orderId, status: to, by: actor, at: now });
  const items = await manager.getRepository(OrderItemEntity).find({ where: { orderId }, order: { listingId: 'ASC' } });
  await recordEvent(manager, 'orders', 'OrderStatusChanged', {
    orderId,
    purchaseId: order.purchaseId,
    buyerId: order.buyerId,
    sellerId: order.sellerId,
    previousStatus,
    status: to,
    at: now.toISOString(),
    items: items.map((i) => ({ listingId: i.listingId, quantity: i.quantity })),
    total: { amount: order.totalAmount, currency: order.currency.trim() },
    by: actor,
    ...(move === 'ship' ? { shipment: { carrier: changes.carrier ?? null, trackingNumber: changes.trackingNumber ?? null } } : {}),
    ...(changes.cancellationReason ? { reason: changes.cancellationReason } : {}),
  });
  return { ...order, ...changes } as OrderEntity;
}

const actorIsSystem = (actor: OrderActor) => actor === 'SYSTEM';

const DESCRIPTIONS: Record<OrderMove, string> = {
  accept: 'accept it',
  ship: 'ship it',
  confirmDelivery: 'confirm its delivery',
  cancel: 'cancel it',
  markPaid: 'be paid',
  expire: 'expire',
  autoConfirmDelivery: 'be delivered',
  complete: 'complete',
  markRefunded: 'be refunded',
  openDispute: 'be disputed',
  chargeback: 'be disputed',
  resume: 'resume',
};
const describe = (move: OrderMove) => DESCRIPTIONS[move];

/** A party's move through the API: only the order's buyer or seller, then the transition table decides. */
export async function moveByViewer(
  db: DataSource,
  afterCommit: () => void,
  viewer: Viewer,
  orderId: string,
  move: OrderMove,
  options: MoveOptions = {},
): Promise<OrderEntity> {
  if (!isUuid(orderId)) throw notFound('Order');
  const order = await db.transaction(async (manager) => {
    const current = await manager.getRepository(OrderEntity).findOneBy({ id: orderId });
    if (!current) throw notFound('Order');
    const actor = roleIn(current, viewer);
    if (!actor) throw forbidden('Only the buyer and the seller of an order can change it');
    if (move === 'cancel') {
      // payments learns of an order when checkout opens the payment; cancelling before that would go unnoticed
      const purchase = await manager.getRepository(PurchaseEntity).findOneByOrFail({ id: current.purchaseId });
      if (purchase.state !== 'OPEN') throw conflict('This order is still being checked out; try again in a moment');
    }
    return (await applyMove(manager, orderId, move, actor, options))!;
  });
  afterCommit();
  return order;
}
