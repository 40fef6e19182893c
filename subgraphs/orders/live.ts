import { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { pushIterator } from '../../lib/async-queue';
import type { Viewer } from '../../lib/auth/viewer';
import { forbidden, notFound } from '../../lib/errors';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import type { EventBus, EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { OrderEntity, OrderItemEntity, StatusChangeEntity } from './entities';
import type { OrderStatus } from './order-state';
import { roleIn } from './transitions';

/** What one `orderStatusChanged` event resolves from: the order as it stood after the change. */
export interface LiveOrderEvent {
  orderId: string;
  previousStatus: OrderStatus | null;
  at: Date;
  snapshot: OrderSnapshot;
}

export interface OrderSnapshot {
  order: OrderEntity;
  items: OrderItemEntity[];
  history: StatusChangeEntity[];
}

/** GraphQL's subscription payload: the field's value under the field's name. */
export interface LivePayload {
  orderStatusChanged: LiveOrderEvent;
}

type Change = EventPayloads['OrderStatusChanged'];

/**
 * Status changes as they happen, for this instance's subscribers. Every orders instance tails the
 * bus, so a change committed by any instance reaches subscribers connected to any other.
 */
export class LiveOrders {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
  ) {
    // one listener per open subscription: there is no meaningful limit
    this.emitter.setMaxListeners(0);
  }

  start(bus: EventBus): Promise<() => Promise<void>> {
    // one event at a time, so that subscribers see an order's changes in the order they were made
    let previous = Promise.resolve();
    return bus.tail((event) => {
      previous = previous
        .then(() => this.publish(event))
        .catch((error: unknown) => this.logger.warn('live order event not delivered', { id: event.id, error }));
      return previous;
    });
  }

  private async publish(event: EventEnvelope): Promise<void> {
    if (!isEvent(event, 'OrderStatusChanged') || this.emitter.listenerCount('change') === 0) return;
    // read once per event, however many subscribers follow the order
    const snapshot = await this.snapshot(event.payload.orderId);
    if (!snapshot) return;
    // the status this event reports, even if a later change has landed since
    snapshot.order = { ...snapshot.order, status: event.payload.status as OrderStatus };
    this.emitter.emit('change', event.payload, snapshot);
  }

  private async snapshot(orderId: string): Promise<OrderSnapshot | undefined> {
    const order = await this.db.getRepository(OrderEntity).findOneBy({ id: orderId });
    if (!order) return undefined;
    const [items, history] = await Promise.all([
      this.db.getRepository(OrderItemEntity).find({ where: { orderId }, order: { listingId: 'ASC' } }),
      this.db.getRepository(StatusChangeEntity).find({ where: { orderId }, order: { id: 'ASC' } }),
    ]);
    return { order, items, history };
  }

  /** Only the buyer and the seller of an order hear of it; a given order must be the viewer's. */
  async subscribe(viewer: Viewer, orderId: string | null | undefined): Promise<AsyncIterableIterator<LivePayload>> {
    if (orderId !== null && orderId !== undefined) {
      const order = isUuid(orderId) ? await this.db.getRepository(OrderEntity).findOneBy({ id: orderId }) : null;
      if (!order) throw notFound('Order');
      if (!roleIn(order, viewer)) throw forbidden('Only the buyer and the seller of an order can follow it');
    }
    const concerns = (change: Change) =>
      (change.buyerId === viewer.userId || change.sellerId === viewer.seller?.id) && (!orderId || change.orderId === orderId);
    return this.changes(concerns);
  }

  private changes(concerns: (change: Change) => boolean): AsyncIterableIterator<LivePayload> {
    return pushIterator<LivePayload>((push) => {
      const listener = (change: Change, snapshot: OrderSnapshot) => {
        if (concerns(change)) {
          const previousStatus = change.previousStatus as OrderStatus | null;
          push({ orderStatusChanged: { orderId: change.orderId, previousStatus, at: new Date(change.at), snapshot } });
        }
      };
      this.emitter.on('change', listener);
      return () => this.emitter.off('change', listener);
    });
  }

  listenerCount(): number {
    return this.emitter.listenerCount('change');
  }
}
