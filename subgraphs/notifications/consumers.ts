import type { DataSource, EntityManager } from 'typeorm';
import { isEvent, type EventPayloads, type EventType } from '../../lib/events/catalog';
import { handleOnce } from '../../lib/events/consumer';
import type { EventEnvelope } from '../../lib/events/types';
import { isUuid } from '../../lib/ids';
import type { Notice, Notifier } from './notifier';
import type { Recipients } from './recipients';
import { forgetUser } from './privacy';
import { ACCOUNT_EMAILS, TEMPLATES } from './templates';

type OrderChange = EventPayloads['OrderStatusChanged'];

/** Who is told of an order's new status, and what. */
async function orderNotices(manager: EntityManager, recipients: Recipients, change: OrderChange): Promise<Notice[]> {
  const orderId = change.orderId;
  const seller = async () => recipients.ownerOf(manager, change.sellerId);
  const notice = (userId: string | null, kind: Notice['kind'], content: Notice['content']): Notice[] =>
    userId ? [{ userId, kind, content, orderId }] : [];
  // an order leaving a dispute goes back where it was (a chargeback the seller won): nothing new to tell; the
  // dispute's own notifications said what happened
  if (change.previousStatus === 'DISPUTED') return [];
  switch (change.status) {
    case 'PAID':
      return notice(await seller(), 'NEW_ORDER', TEMPLATES.NEW_ORDER({ orderId, total: change.total }));
    case 'ACCEPTED':
      return notice(change.buyerId, 'ORDER_ACCEPTED', TEMPLATES.ORDER_ACCEPTED({ orderId }));
    case 'SHIPPED':
      return notice(
        change.buyerId,
        'ORDER_SHIPPED',
        TEMPLATES.ORDER_SHIPPED({ orderId, carrier: change.shipment?.carrier ?? null, trackingNumber: change.shipment?.trackingNumber ?? null }),
      );
    case 'DELIVERED':
      return notice(await seller(), 'ORDER_DELIVERED', TEMPLATES.ORDER_DELIVERED({ orderId }));
    case 'CANCELLED': {
      const content = TEMPLATES.ORDER_CANCELLED({ orderId, reason: change.reason });
      // the other party of whoever cancelled; an unpaid order the clock cancelled was never the seller's to see
      const toBuyer = change.by !== 'BUYER';
      const toSeller = change.by === 'BUYER' || (change.by !== 'SELLER' && change.previousStatus !== 'PENDING_PAYMENT');
      return [...(toBuyer ? notice(change.buyerId, 'ORDER_CANCELLED', content) : []), ...(toSeller ? notice(await seller(), 'ORDER_CANCELLED', content) : [])];
    }
    default:
      return [];
  }
}

/** The buyer of an order notifications has heard of; null for one it has not. */
async function buyerOf(manager: EntityManager, orderId: string): Promise<string | null> {
  const [row]: { buyer_id: string }[] = await manager.query(`SELECT buyer_id FROM order_parties WHERE order_id = $1`, [orderId]);
  return row?.buyer_id ?? null;
}

/** The events notifications acts on. */
const HEARD: ReadonlySet<string> = new Set<EventType>([
  'UserRegistered',
  'SellerRegistered',
  'AccountDeleted',
  'AccountEmailRequested',
  'AccountSecurityChanged',
  'OrderStatusChanged',
  'EscrowReleased',
  'OrderRefunded',
  'TransferSent',
  'ReviewPosted',
  'StockLow',
  'PurchaseExpiring',
  'ListingRemoved',
  'SellerStatusChanged',
  'DisputeOpened',
  'DisputeMessagePosted',
  'DisputeResolved',
]);

/**
 * What the other subgraphs' events mean to the people involved. Each event is handled once
 * (handleOnce: a redelivered or duplicated event finds its id processed and makes nothing), in one
 * transaction with the notifications and email jobs it makes.
 */
export async function onNotificationsEvent(db: DataSource, event: EventEnvelope, recipients: Recipients, notifier: Notifier): Promise<void> {
  // most events on the bus mean nothing here (its own NotificationCreated among them): no transaction for those
  if (!HEARD.has(event.type)) return;
  const handled = await handleOnce(db, 'notifications', event, async (manager) => {
    const notify = async (notices: Notice[]) => {
      for (const notice of notices) await notifier.notify(manager, notice);
    };
    const toSeller = async (sellerId: string, notice: Omit<Notice, 'userId'>) => {
      const userId = await recipients.ownerOf(manager, sellerId);
      if (userId) await notify([{ ...notice, userId }]);
    };

    if (isEvent(event, 'UserRegistered')) {
      await recipients.remember(manager, event.payload.userId, event.payload);
    } else if (isEvent(event, 'SellerRegistered') && event.payload.userId) {
      await recipients.rememberShop(manager, event.payload.sellerId, event.payload.userId);
    } else if (isEvent(event, 'AccountDeleted')) {
      await forgetUser(manager, event.payload.userId);
      await recipients.forget(manager, event.payload.userId);
    } else if (isEvent(event, 'AccountEmailRequested')) {
      const { userId, email, displayName, purpose, url } = event.payload;
      await recipients.remember(manager, userId, { email, displayName });
      await notifier.emailOnly(manager, userId, { email, displayName }, ACCOUNT_EMAILS[purpose]({ displayName, url }));
    } else if (isEvent(event, 'AccountSecurityChanged')) {
      // verifying an address is no risk to tell of
      if (event.payload.change !== 'EMAIL_VERIFIED') {
        await notify([{ userId: event.payload.userId, kind: 'ACCOUNT_SECURITY', content: TEMPLATES.ACCOUNT_SECURITY({ change: event.payload.change }) }]);
      }
    } else if (isEvent(event, 'OrderStatusChanged')) {
      const change = event.payload;
      if (!isUuid(change.orderId)) return;
      await manager.query(
        `INSERT INTO order_parties (order_id, purchase_id, buyer_id, seller_id) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING`,
        [change.orderId, change.purchaseId, change.buyerId, change.sellerId],
      );
      await notify(await orderNotices(manager, recipients, change));
    } else if (isEvent(event, 'EscrowReleased')) {
      const { orderId, sellerId, net } = event.payload;
      await toSeller(sellerId, { kind: 'FUNDS_RELEASED', content: TEMPLATES.FUNDS_RELEASED({ orderId, net }), orderId });
    } else if (isEvent(event, 'OrderRefunded')) {
      const { orderId, amount } = event.payload;
      const buyerId = await buyerOf(manager, orderId);
      if (buyerId) await notify([{ userId: buyerId, kind: 'REFUND_ISSUED', content: TEMPLATES.REFUND_ISSUED({ orderId, amount }), orderId }]);
    } else if (isEvent(event, 'TransferSent')) {
      await toSeller(event.payload.sellerId, { kind: 'TRANSFER_SENT', content: TEMPLATES.TRANSFER_SENT({ amount: event.payload.amount }) });
    } else if (isEvent(event, 'ReviewPosted')) {
      const { orderId, sellerId, rating } = event.payload;
      await toSeller(sellerId, { kind: 'REVIEW_RECEIVED', content: TEMPLATES.REVIEW_RECEIVED({ orderId, rating }), orderId });
    } else if (isEvent(event, 'StockLow')) {
      const { sellerId, title, stock } = event.payload;
      await toSeller(sellerId, { kind: 'LOW_STOCK', content: TEMPLATES.LOW_STOCK({ title, stock }) });
    } else if (isEvent(event, 'DisputeOpened')) {
      // both parties: the seller must answer; the buyer learns what happens next (or, for a chargeback, that it began)
      const { orderId, buyerId, sellerId, source, reason, amount } = event.payload;
      await toSeller(sellerId, { kind: 'DISPUTE_OPENED', content: TEMPLATES.DISPUTE_OPENED({ orderId, source, reason, amount, to: 'SELLER' }), orderId });
      await notify([{ userId: buyerId, kind: 'DISPUTE_OPENED', content: TEMPLATES.DISPUTE_OPENED({ orderId, source, reason, amount, to: 'BUYER' }), orderId }]);
    } else if (isEvent(event, 'DisputeMessagePosted')) {
      // the other parties of the thread: the author knows what they wrote (operators follow the queue, not notifications)
      const { orderId, buyerId, sellerId, role, excerpt } = event.payload;
      const content = TEMPLATES.DISPUTE_UPDATED({ orderId, role, excerpt });
      if (role !== 'BUYER') await notify([{ userId: buyerId, kind: 'DISPUTE_UPDATED', content, orderId }]);
      if (role !== 'SELLER') await toSeller(sellerId, { kind: 'DISPUTE_UPDATED', content, orderId });
    } else if (isEvent(event, 'DisputeResolved')) {
      const { orderId, buyerId, sellerId, outcome, refunded } = event.payload;
      const content = TEMPLATES.DISPUTE_RESOLVED({ orderId, outcome, refunded });
      await notify([{ userId: buyerId, kind: 'DISPUTE_RESOLVED', content, orderId }]);
      await toSeller(sellerId, { kind: 'DISPUTE_RESOLVED', content, orderId });
    } else if (isEvent(event, 'PurchaseExpiring')) {
      const { buyerId, orderIds, expiresAt } = event.payload;
      await notify([
        { userId: buyerId, kind: 'PURCHASE_EXPIRING', content: TEMPLATES.PURCHASE_EXPIRING({ expiresAt: new Date(expiresAt) }), orderId: orderIds[0] ?? null },
      ]);
    } else if (isEvent(event, 'ListingRemoved')) {
      const { sellerId, title, reason } = event.payload;
      await toSeller(sellerId, { kind: 'LISTING_REMOVED', content: TEMPLATES.LISTING_REMOVED({ title, reason }) });
    } else if (isEvent(event, 'SellerStatusChanged')) {
      const { userId, status, reason } = event.payload;
      const notice =
        status === 'SUSPENDED'
          ? { kind: 'SELLER_SUSPENDED' as const, content: TEMPLATES.SELLER_SUSPENDED({ reason: reason ?? 'not given' }) }
          : { kind: 'SELLER_REINSTATED' as const, content: TEMPLATES.SELLER_REINSTATED() };
      await notify([{ userId, ...notice }]);
    }
  });
  if (handled) notifier.committed();
}
