import type { EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { forbidden } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import type { OrderPartiesEntity } from './entities';

type Queryable = Pick<EntityManager, 'query'>;

export type Party = 'BUYER' | 'SELLER';

/**
 * An order's conversation is its buyer's and seller's only. Who they are comes from orders' events;
 * an order notifications has not heard of (an id that is no order, or one made a moment ago) is
 * nobody's yet: FORBIDDEN, as for someone else's.
 */
export async function partyOf(db: Queryable, viewer: Viewer, orderId: string): Promise<{ party: Party; order: OrderPartiesEntity }> {
  const [row]: { order_id: string; purchase_id: string; buyer_id: string; seller_id: string }[] = isUuid(orderId)
    ? await db.query(`SELECT order_id, purchase_id, buyer_id, seller_id FROM order_parties WHERE order_id = $1`, [orderId])
    : [];
  const order = row && { orderId: row.order_id, purchaseId: row.purchase_id, buyerId: row.buyer_id, sellerId: row.seller_id };
  if (order && viewer.seller?.id === order.sellerId) return { party: 'SELLER', order };
  if (order && viewer.userId === order.buyerId) return { party: 'BUYER', order };
  throw forbidden("Only the order's buyer and seller read and write its messages");
}

/** Users and orders as references: what they are is others' to say; notifications adds its fields by id. */
export interface UserRef {
  id: string;
}
export interface OrderRef {
  id: string;
}
