import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { newestFirst } from '../../lib/db/newest-first';
import { forbidden, notFound } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import type { Connection } from '../../lib/pagination';
import type { Checkout, CheckoutInput } from './checkout';
import { OrderEntity, PurchaseEntity } from './entities';
import type { OrderStatus } from './order-state';
import { moveByViewer, roleIn, type MoveOptions } from './transitions';

export class OrdersService {
  constructor(
    private readonly db: DataSource,
    private readonly checkoutSaga: Checkout,
    private readonly afterCommit: () => void,
  ) {}

  checkout(viewer: Viewer, input: CheckoutInput): Promise<PurchaseEntity> {
    return this.checkoutSaga.run(viewer, input);
  }

  accept(viewer: Viewer, id: string) {
    return moveByViewer(this.db, this.afterCommit, viewer, id, 'accept');
  }

  ship(viewer: Viewer, id: string, parcel: { carrier?: string | null; trackingNumber?: string | null }) {
    return moveByViewer(this.db, this.afterCommit, viewer, id, 'ship', parcel);
  }

  confirmDelivery(viewer: Viewer, id: string) {
    return moveByViewer(this.db, this.afterCommit, viewer, id, 'confirmDelivery');
  }

  cancel(viewer: Viewer, id: string, reason?: string | null) {
    // (the schema's input rule refuses a reason over its stated maximum: nothing is cut short)
    const options: MoveOptions = { reason };
    return moveByViewer(this.db, this.afterCommit, viewer, id, 'cancel', options);
  }

  /** Readable by its buyer and its seller only. */
  async order(viewer: Viewer, id: string, load: (id: string) => Promise<OrderEntity | null>): Promise<OrderEntity> {
    const order = isUuid(id) ? await load(id) : null;
    if (!order) throw notFound('Order');
    if (!roleIn(order, viewer)) throw forbidden('Only the buyer and the seller of an order can read it');
    return order;
  }

  async purchase(viewer: Viewer, id: string, load: (id: string) => Promise<PurchaseEntity | null>): Promise<PurchaseEntity> {
    const purchase = isUuid(id) ? await load(id) : null;
    // a checkout still reserving has no orders or currency yet: it exists once it has them
    if (!purchase || purchase.state === 'RESERVING') throw notFound('Purchase');
    if (purchase.buyerId !== viewer.userId) throw forbidden('Only the buyer of a purchase can read it');
    return purchase;
  }

  myOrders(viewer: Viewer, first?: number | null, after?: string | null) {
    return this.page('buyer', viewer.userId, undefined, first, after);
  }

  sellerOrders(viewer: Viewer, status?: OrderStatus | null, first?: number | null, after?: string | null) {
    if (!viewer.seller) throw forbidden('Only sellers have seller orders');
    return this.page('seller', viewer.seller.id, status ?? undefined, first, after);
  }

  private page(
    side: 'buyer' | 'seller',
    partyId: string,
    status: OrderStatus | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Connection<OrderEntity>> {
    const rows = () => {
      const qb = this.db.getRepository(OrderEntity).createQueryBuilder('o').where(`o.${side}_id = :partyId`, { partyId });
      return status ? qb.andWhere('o.status = :status', { status }) : qb;
    };
    return newestFirst(rows, `orders:${side}:${status ?? '*'}`, first, after);
  }
}
