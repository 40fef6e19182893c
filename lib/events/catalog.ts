import type { EventEnvelope } from './types';

/**
 * Every event the marketplace's subgraphs exchange, with its payload. Money is in minor units.
 */
export interface EventPayloads {
  /** orders: every status change of an order, the first (PENDING_PAYMENT) included. */
  OrderStatusChanged: {
    orderId: string;
    purchaseId: string;
    buyerId: string;
    sellerId: string;
    previousStatus: string | null;
    status: string;
    at: string;
    /** What the order holds, so consumers (stock, reviews, escrow) need no call back. */
    items: { listingId: string; quantity: number }[];
    total: { amount: number; currency: string };
    /** Who moved it (BUYER, SELLER or SYSTEM), so that the other party is the one told. */
    by?: string;
    /** SHIPPED: how it travels. */
    shipment?: { carrier: string | null; trackingNumber: string | null };
    /** CANCELLED: why, as the canceller said or the system decided. */
    reason?: string;
  };
  /**
   * orders: a checkout was abandoned before its orders were written (a crash, or listings answering too
   * late, and no retry with its key): whatever stock listings reserved for it goes back.
   */
  PurchaseAbandoned: { purchaseId: string; at: string };
  /** payments: the buyer paid for a whole purchase. */
  PaymentSucceeded: { paymentId: string; purchaseId: string; orderIds: string[]; at: string };
  /** payments: escrow released the seller's share of an order. */
  EscrowReleased: { orderId: string; sellerId: string; net: { amount: number; currency: string }; at: string };
  /** payments: a seller's transfer was made (PAID at the provider). */
  TransferSent: { transferId: string; sellerId: string; amount: { amount: number; currency: string }; at: string };
  /** payments: money went back to the buyer for an order. */
  OrderRefunded: { orderId: string; amount: { amount: number; currency: string }; fullyRefunded: boolean; at: string };
  /**
   * listings: listings changed (any field, stock included). `categories` and `lexemes` are those of
   * the search documents that changed with them, before and after: what cached searches depend on.
   */
  ListingChanged: { listingIds: string[]; categories: string[]; lexemes: string[] };
  /** listings: the search read model was rebuilt (`npm run search:reindex`); every cached search is stale. */
  SearchRebuilt: { documents: number };
  /**
   * accounts: a user became a seller; the shop name is what other subgraphs show beside the seller's
   * listings, the user is who hears of the shop's orders (absent from events of before it was added).
   */
  SellerRegistered: { sellerId: string; shopName: string; at: string; userId?: string };
  /** accounts: an account was made; notifications keeps the address it writes to. */
  UserRegistered: { userId: string; email: string; displayName: string; at: string };
  /**
   * accounts: an email with a link to send, which only the addressee may see (its token opens the
   * account, once, until `expiresAt`): sign-up's address verification, or a password reset.
   */
  AccountEmailRequested: {
    userId: string;
    email: string;
    displayName: string;
    purpose: 'VERIFY_EMAIL' | 'RESET_PASSWORD';
    url: string;
    expiresAt: string;
  };
  /** accounts: something about how a user signs in changed (told to them, in case it was not them). */
  AccountSecurityChanged: {
    userId: string;
    change: 'NEW_SIGN_IN' | 'PASSWORD_CHANGED' | 'PASSWORD_RESET' | 'TWO_FACTOR_ENABLED' | 'TWO_FACTOR_DISABLED' | 'EMAIL_VERIFIED';
    at: string;
  };
  /**
   * accounts: an account was deleted; every subgraph erases or anonymises what it holds of the user
   * (and of their shop), keeping amounts and ids that accounting needs.
   */
  AccountDeleted: {
    userId: string;
    sellerId: string | null;
    /** What the closed shop is called from then on (shop names are shown with orders and reviews). */
    closedShopName: string | null;
    at: string;
  };
  /** reputation: a buyer reviewed an order (its seller hears of it). */
  ReviewPosted: { reviewId: string; orderId: string; sellerId: string; authorId: string; rating: number; at: string };
  /** listings: a listing's stock fell to its low-stock threshold (told once per fall, not per sale below it). */
  StockLow: { listingId: string; sellerId: string; title: string; stock: number; threshold: number; at: string };
  /** orders: an unpaid purchase expires soon (its buyer is reminded, once). */
  PurchaseExpiring: { purchaseId: string; buyerId: string; orderIds: string[]; expiresAt: string };
  /** notifications: a notification for the app was made (every notifications instance tells its live subscribers). */
  NotificationCreated: { id: string; userId: string; kind: string; title: string; body: string; orderId: string | null; createdAt: string };
  /** reputation: a seller's score changed. */
  SellerReputationChanged: { sellerId: string; score: number; reviewCount: number; at: string };
  /** any subgraph: an operator's or a sensitive user action, for the audit log (see lib/audit). */
  AuditRecorded: {
    action: string;
    actorId: string | null;
    targetType: string;
    targetId: string;
    details: Record<string, unknown>;
    at: string;
    ip: string | null;
    requestId: string | null;
  };
  /** listings: a user reported a listing (the moderation queue holds it until an operator decides). */
  ListingReported: { reportId: string; listingId: string; sellerId: string; title: string; reporterId: string; reason: string; details: string | null; at: string };
  /** listings: an operator removed a listing for good (its seller is told why; its reports are settled). */
  ListingRemoved: { listingId: string; sellerId: string; title: string; reason: string; by: string; at: string };
  /** accounts: an operator suspended or reinstated a seller (listings leave search, transfers pause, the seller is told). */
  SellerStatusChanged: { sellerId: string; userId: string; status: 'ACTIVE' | 'SUSPENDED'; reason: string | null; by: string; at: string };
  /** orders: a dispute was opened, by the buyer (source BUYER) or by a chargeback (PROVIDER); the seller is told. */
  DisputeOpened: {
    disputeId: string;
    orderId: string;
    buyerId: string;
    sellerId: string;
    source: 'BUYER' | 'PROVIDER';
    reason: string;
    amount: { amount: number; currency: string };
    at: string;
  };
  /** orders: someone wrote in a dispute's thread (the other parties are told); status is the dispute's after it. */
  DisputeMessagePosted: {
    disputeId: string;
    orderId: string;
    buyerId: string;
    sellerId: string;
    authorId: string | null;
    role: 'BUYER' | 'SELLER' | 'OPERATOR';
    excerpt: string;
    status: string;
    at: string;
  };
  /** orders: a dispute was decided (both parties are told); refunded is what went back to the buyer. */
  DisputeResolved: {
    disputeId: string;
    orderId: string;
    buyerId: string;
    sellerId: string;
    source: 'BUYER' | 'PROVIDER';
    outcome: 'REFUND_BUYER' | 'RELEASE_TO_SELLER' | 'PARTIAL_REFUND';
    refunded: { amount: number; currency: string };
    at: string;
  };
  /**
   * payments: the payment provider reported a chargeback on a purchase's charge (Stripe's charge.dispute.created):
   * the disputed amount is laid over the purchase's orders, and each order's share is held in escrow.
   */
  ChargebackOpened: {
    chargebackRef: string;
    paymentId: string;
    purchaseId: string;
    buyerId: string;
    reason: string;
    orders: { orderId: string; sellerId: string; amount: { amount: number; currency: string } }[];
    at: string;
  };
  /** payments: a chargeback was closed (won: the money released to the sellers; lost: it left the platform). */
  ChargebackClosed: {
    chargebackRef: string;
    outcome: 'WON' | 'LOST';
    /** The provider's reason, as in ChargebackOpened (a consumer that missed that one can still record it). */
    reason: string;
    orders: { orderId: string; amount: { amount: number; currency: string } }[];
    at: string;
  };
}

export type EventType = keyof EventPayloads;
export type MarketplaceEvent<T extends EventType = EventType> = EventEnvelope<T, EventPayloads[T]>;

/** Narrows an envelope to one event type. */
export function isEvent<T extends EventType>(event: EventEnvelope, type: T): event is MarketplaceEvent<T> {
  return event.type === type;
}
