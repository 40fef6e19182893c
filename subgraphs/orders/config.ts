import { integer } from '../../lib/config';
import type { Env } from '../../lib/server/subgraph-module';

/** Every setting the orders subgraph reads, with its default. */
export interface OrdersConfig {
  /** How long an unpaid checkout holds its stock before its orders are cancelled. */
  reservationTtlMs: number;
  /** How often the sweeper looks for expired checkouts and deliveries to confirm. */
  sweepIntervalMs: number;
  /** A SHIPPED order the buyer has not confirmed is DELIVERED after this long. */
  autoConfirmDeliveryMs: number;
  /** The buyer of an unpaid purchase is reminded (PurchaseExpiring) this long before it expires. */
  expiryReminderMs: number;
  /** A dispute the seller has not answered goes to UNDER_REVIEW (operators decide without them) after this long. */
  disputeSellerResponseMs: number;
}

export function ordersConfig(env: Env): OrdersConfig {
  return {
    reservationTtlMs: integer('CHECKOUT_RESERVATION_TTL_SECONDS', 15 * 60, env) * 1000,
    sweepIntervalMs: integer('ORDERS_SWEEP_INTERVAL_MS', 5000, env),
    autoConfirmDeliveryMs: integer('DELIVERY_AUTO_CONFIRM_SECONDS', 14 * 24 * 3600, env) * 1000,
    expiryReminderMs: integer('PURCHASE_EXPIRY_REMINDER_SECONDS', 5 * 60, env) * 1000,
    disputeSellerResponseMs: integer('DISPUTE_SELLER_RESPONSE_SECONDS', 3 * 24 * 3600, env) * 1000,
  };
}
