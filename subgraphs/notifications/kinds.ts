/** Every kind of notification (the contract's NotificationKind), and which of them email cannot be turned off for. */
export const NOTIFICATION_KINDS = [
  'NEW_ORDER',
  'ORDER_ACCEPTED',
  'ORDER_SHIPPED',
  'ORDER_DELIVERED',
  'ORDER_CANCELLED',
  'FUNDS_RELEASED',
  'REFUND_ISSUED',
  'REVIEW_RECEIVED',
  'NEW_MESSAGE',
  'TRANSFER_SENT',
  'LOW_STOCK',
  'PURCHASE_EXPIRING',
  'DISPUTE_OPENED',
  'DISPUTE_UPDATED',
  'DISPUTE_RESOLVED',
  'LISTING_REMOVED',
  'SELLER_SUSPENDED',
  'ACCOUNT_SECURITY',
  'SELLER_REINSTATED',
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Money and security: a person must be able to learn of these even if they never open the app. */
export const MANDATORY: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  'FUNDS_RELEASED',
  'REFUND_ISSUED',
  'TRANSFER_SENT',
  'DISPUTE_OPENED',
  'DISPUTE_UPDATED',
  'DISPUTE_RESOLVED',
  'LISTING_REMOVED',
  'SELLER_SUSPENDED',
  'ACCOUNT_SECURITY',
  'SELLER_REINSTATED',
]);

export const isKind = (value: string): value is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(value);
