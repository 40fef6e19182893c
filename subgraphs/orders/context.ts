import type DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey, loaderOfLists } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { DisputeEntity, DisputeMessageEntity, OrderEntity, OrderItemEntity, PurchaseEntity, ShippingRateEntity, StatusChangeEntity } from './entities';
import type { DisputeQueries } from './dispute-queries';
import type { Disputes } from './disputes';
import type { LiveOrders } from './live';
import type { OrdersService } from './service';
import type { ShippingRates } from './shipping';

export interface OrdersLoaders {
  order: DataLoader<string, OrderEntity | null>;
  purchase: DataLoader<string, PurchaseEntity | null>;
  ordersOfPurchase: DataLoader<string, OrderEntity[]>;
  items: DataLoader<string, OrderItemEntity[]>;
  history: DataLoader<string, StatusChangeEntity[]>;
  shippingRates: DataLoader<string, ShippingRateEntity[]>;
  dispute: DataLoader<string, DisputeEntity | null>;
  disputeMessages: DataLoader<string, DisputeMessageEntity[]>;
}

export interface OrdersContext {
  viewer: Viewer | null;
  /** For what reads the database directly (accounts' internal questions about a user). */
  db: DataSource;
  orders: OrdersService;
  disputes: Disputes;
  disputeQueries: DisputeQueries;
  shipping: ShippingRates;
  live: LiveOrders;
  loaders: OrdersLoaders;
  /**
   * A subscription keeps one context for all its events: each event starts with fresh loaders, so
   * that it shows the order as the event has it, not as an earlier event cached it.
   */
  forgetCachedReads(): void;
}

export function ordersLoaders(db: DataSource): OrdersLoaders {
  const orders = db.getRepository(OrderEntity);
  return {
    order: loaderByKey((ids) => orders.findBy({ id: In(validIds(ids)) }), (o) => o.id),
    purchase: loaderByKey((ids) => db.getRepository(PurchaseEntity).findBy({ id: In(validIds(ids)) }), (p) => p.id),
    ordersOfPurchase: loaderOfLists(
      (ids) => orders.find({ where: { purchaseId: In(validIds(ids)) }, order: { sellerId: 'ASC' } }),
      (o) => o.purchaseId,
    ),
    items: loaderOfLists(
      (ids) => db.getRepository(OrderItemEntity).find({ where: { orderId: In(validIds(ids)) }, order: { listingId: 'ASC' } }),
      (i) => i.orderId,
    ),
    history: loaderOfLists(
      (ids) => db.getRepository(StatusChangeEntity).find({ where: { orderId: In(validIds(ids)) }, order: { id: 'ASC' } }),
      (h) => h.orderId,
    ),
    shippingRates: loaderOfLists((ids) => db.getRepository(ShippingRateEntity).findBy({ sellerId: In(validIds(ids)) }), (r) => r.sellerId),
    dispute: loaderByKey((ids) => db.getRepository(DisputeEntity).findBy({ id: In(validIds(ids)) }), (d) => d.id),
    disputeMessages: loaderOfLists(
      (ids) => db.getRepository(DisputeMessageEntity).find({ where: { disputeId: In(validIds(ids)) }, order: { id: 'ASC' } }),
      (m) => m.disputeId,
    ),
  };
}
