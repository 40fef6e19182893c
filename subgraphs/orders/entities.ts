import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { PostalAddress } from '../../lib/postal-address';
import type { OrderActor, OrderStatus } from './order-state';

/** Where a checkout stands: stock being reserved, orders written, payment opened. */
export type PurchaseState = 'RESERVING' | 'ORDERED' | 'OPEN';

/** One checkout of a cart: one per buyer and idempotency key. */
@Entity({ name: 'purchases' })
export class PurchaseEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** The cart the key was first used with; the key cannot be reused for another cart. */
  @Column({ name: 'request_hash', type: 'text' })
  requestHash!: string;

  @Column({ type: 'text' })
  state!: PurchaseState;

  /** Set once the orders exist. */
  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'total_amount', type: 'integer', default: 0 })
  totalAmount!: number;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** One seller's part of a purchase. */
@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'purchase_id', type: 'uuid' })
  purchaseId!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'text' })
  status!: OrderStatus;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /** subtotal + shipping. */
  @Column({ name: 'total_amount', type: 'integer' })
  totalAmount!: number;

  /** What the items came to. */
  @Column({ name: 'subtotal_amount', type: 'integer' })
  subtotalAmount!: number;

  @Column({ name: 'shipping_amount', type: 'integer' })
  shippingAmount!: number;

  /** A copy of where the items that ship go; null when none does. */
  @Column({ name: 'shipping_address', type: 'jsonb', nullable: true })
  shippingAddress!: PostalAddress | null;

  /** The delivery window promised at checkout (ISO dates); null without the seller's rates. */
  @Column({ name: 'delivery_earliest', type: 'date', nullable: true })
  deliveryEarliest!: string | null;

  @Column({ name: 'delivery_latest', type: 'date', nullable: true })
  deliveryLatest!: string | null;

  @Column({ type: 'text', nullable: true })
  carrier!: string | null;

  @Column({ name: 'tracking_number', type: 'text', nullable: true })
  trackingNumber!: string | null;

  @Column({ name: 'cancellation_reason', type: 'text', nullable: true })
  cancellationReason!: string | null;

  @Column({ name: 'shipped_at', type: 'timestamptz', nullable: true })
  shippedAt!: Date | null;

  /** Millisecond precision so that keyset cursors round-trip through JavaScript Dates. */
  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}

@Entity({ name: 'order_items' })
export class OrderItemEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @PrimaryColumn({ name: 'listing_id', type: 'uuid' })
  listingId!: string;

  /** As the listing was when bought: later edits do not rewrite orders. */
  @Column({ type: 'text' })
  title!: string;

  @Column({ name: 'category_slug', type: 'text' })
  categorySlug!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price', type: 'integer' })
  unitPrice!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;
}

@Entity({ name: 'order_status_history' })
export class StatusChangeEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'text' })
  status!: OrderStatus;

  @Column({ type: 'text' })
  by!: OrderActor;

  @Column({ type: 'timestamptz', precision: 3 })
  at!: Date;
}

/** What a seller charges to ship one order to a country ('*': every country without a rate of its own). */
@Entity({ name: 'shipping_rates' })
export class ShippingRateEntity {
  @PrimaryColumn({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @PrimaryColumn({ type: 'text' })
  country!: string;

  @Column({ name: 'price_amount', type: 'integer' })
  priceAmount!: number;

  /** An order whose items come to at least this ships free. */
  @Column({ name: 'free_over_amount', type: 'integer', nullable: true })
  freeOverAmount!: number | null;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'min_days', type: 'integer' })
  minDays!: number;

  @Column({ name: 'max_days', type: 'integer' })
  maxDays!: number;
}

export type DisputeStatus = 'AWAITING_SELLER' | 'UNDER_REVIEW' | 'RESOLVED';
export type DisputeSource = 'BUYER' | 'PROVIDER';
export type DisputeReason = 'NOT_RECEIVED' | 'NOT_AS_DESCRIBED' | 'DAMAGED' | 'OTHER';
export type DisputeOutcome = 'REFUND_BUYER' | 'RELEASE_TO_SELLER' | 'PARTIAL_REFUND';
export type DisputeRole = 'BUYER' | 'SELLER' | 'OPERATOR';

/** A buyer's complaint about an order, or a chargeback the payment provider reported; operators decide it. */
@Entity({ name: 'disputes' })
export class DisputeEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'text' })
  source!: DisputeSource;

  @Column({ type: 'text' })
  status!: DisputeStatus;

  @Column({ type: 'text' })
  reason!: DisputeReason;

  @Column({ type: 'text' })
  details!: string;

  /** The order's status before the dispute (a chargeback the seller wins returns it there). */
  @Column({ name: 'previous_status', type: 'text' })
  previousStatus!: OrderStatus;

  /** A chargeback: the provider's dispute id. */
  @Column({ name: 'provider_ref', type: 'text', nullable: true })
  providerRef!: string | null;

  /** What is in dispute: the order's total, or a chargeback's share of the charge. */
  @Column({ name: 'disputed_amount', type: 'integer' })
  disputedAmount!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'text', nullable: true })
  outcome!: DisputeOutcome | null;

  @Column({ name: 'refunded_amount', type: 'integer', nullable: true })
  refundedAmount!: number | null;

  @Column({ name: 'resolution_note', type: 'text', nullable: true })
  resolutionNote!: string | null;

  @Column({ name: 'resolved_by', type: 'uuid', nullable: true })
  resolvedBy!: string | null;

  /** When it was opened (keyset cursors page on it). */
  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', precision: 3, nullable: true })
  resolvedAt!: Date | null;
}

@Entity({ name: 'dispute_messages' })
export class DisputeMessageEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'dispute_id', type: 'uuid' })
  disputeId!: string;

  /** Null once the author's account is deleted. */
  @Column({ name: 'author_id', type: 'uuid', nullable: true })
  authorId!: string | null;

  @Column({ type: 'text' })
  role!: DisputeRole;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'timestamptz', precision: 3 })
  at!: Date;
}
