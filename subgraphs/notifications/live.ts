import { EventEmitter } from 'node:events';
import { pushIterator } from '../../lib/async-queue';
import { isEvent, type EventPayloads } from '../../lib/events/catalog';
import type { EventBus } from '../../lib/events/types';
import type { Logger } from '../../lib/logger';
import type { NotificationEntity } from './entities';
import type { NotificationKind } from './kinds';

type Created = EventPayloads['NotificationCreated'];

/** GraphQL's subscription payload: the field's value under the field's name. */
export interface LivePayload {
  notificationReceived: NotificationEntity;
}

/** The notification as the event brings it, so that no subscriber reads the database. */
const entityOf = (created: Created): NotificationEntity => ({
  ...created,
  kind: created.kind as NotificationKind,
  inApp: true,
  createdAt: new Date(created.createdAt),
  readAt: null,
});

/**
 * New notifications as they are made, for this instance's subscribers: every instance tails the bus,
 * so a notification made by any instance reaches its recipient on whichever one they are connected
 * to. Listeners are kept by user, so an event costs one lookup however many people are connected.
 */
export class LiveNotifications {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(0);
  }

  start(bus: EventBus): Promise<() => Promise<void>> {
    return bus.tail(async (event) => {
      if (!isEvent(event, 'NotificationCreated')) return;
      try {
        this.emitter.emit(event.payload.userId, entityOf(event.payload));
      } catch (error) {
        this.logger.warn('live notification not delivered', { id: event.id, error });
      }
    });
  }

  /** The viewer's own notifications, and nobody else's. */
  subscribe(userId: string): AsyncIterableIterator<LivePayload> {
    return pushIterator<LivePayload>((push) => {
      const listener = (notification: NotificationEntity) => push({ notificationReceived: notification });
      this.emitter.on(userId, listener);
      return () => this.emitter.off(userId, listener);
    });
  }
}
