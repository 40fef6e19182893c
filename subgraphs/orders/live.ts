import { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { pushIterator } from '../../lib/async-queue';
import type { Viewer } from '../../lib/auth/viewer';
import { forbidden, notFound } from '../../lib/errors';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import type { EventBus } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import { OrderEntity } from './entities';
import type { OrderStatus } from './order-state';
import { roleIn } from './transitions';

/** What one `orderStatusChanged` event resolves from. */
export interface LiveOrderEvent {
  orderId: string;
  previousStatus: OrderStatus | null;
  at: Date;
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

  constructor(private readonly db: DataSource) {
    // one listener per open subscription: there is no meaningful limit
    this.emitter.setMaxListeners(0);
  }

  start(bus: EventBus): Promise<() => Promise<void>> {
    return bus.tail(async (event) => {
      if (isEvent(event, 'OrderStatusChanged')) this.emitter.emit('change', event.payload);
    });
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
      const listener = (change: Change) => {
        if (concerns(change)) {
          const event = { orderId: change.orderId, previousStatus: change.previousStatus as OrderStatus | null, at: new Date(change.at) };
          push({ orderStatusChanged: event });
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
