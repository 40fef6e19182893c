import type { DataSource } from 'typeorm';
import { isEvent, type EventType } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { chargebackClosed, chargebackOpened } from './chargebacks';
import { forgetAccount } from './privacy';
import { applyMove } from './transitions';

const HEARD: ReadonlySet<string> = new Set<EventType>(['PaymentSucceeded', 'EscrowReleased', 'OrderRefunded', 'AccountDeleted', 'ChargebackOpened', 'ChargebackClosed']);

/**
 * Payments moves orders through events, never by calling orders: a captured payment, a released
 * escrow or a full refund is committed with its event in payments' outbox, so orders cannot miss it
 * even while it is down, and a late or repeated event is a no-op (the transition table refuses it).
 * Chargebacks open and close PROVIDER disputes (chargebacks.ts). A deleted account's orders forget where they went.
 */
export async function onOrdersEvent(db: DataSource, event: EventEnvelope, afterCommit: () => void): Promise<void> {
  // every other event on the bus (its own status changes first of all) costs no transaction
  if (!HEARD.has(event.type)) return;
  const handled = await handleOnce(db, 'orders', event, async (manager) => {
    if (isEvent(event, 'PaymentSucceeded')) {
      for (const orderId of event.payload.orderIds) await applyMove(manager, orderId, 'markPaid', 'SYSTEM');
    } else if (isEvent(event, 'EscrowReleased')) {
      await applyMove(manager, event.payload.orderId, 'complete', 'SYSTEM');
    } else if (isEvent(event, 'OrderRefunded') && event.payload.fullyRefunded) {
      await applyMove(manager, event.payload.orderId, 'markRefunded', 'SYSTEM');
    } else if (isEvent(event, 'ChargebackOpened')) {
      await chargebackOpened(manager, event.payload);
    } else if (isEvent(event, 'ChargebackClosed')) {
      await chargebackClosed(manager, event.payload);
    } else if (isEvent(event, 'AccountDeleted')) {
      await forgetAccount(manager, event.payload.userId);
    }
  });
  if (handled) afterCommit();
}
