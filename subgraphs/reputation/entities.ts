import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ReviewStatus = 'PUBLISHED' | 'HELD' | 'REMOVED';

/** One verified-purchase review of a seller; at most one per order. */
@Entity({ name: 'reviews' })
export class ReviewEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid', unique: true })
  orderId!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @Column({ type: 'smallint' })
  rating!: number;

  @Column({ type: 'text' })
  body!: string;

  /** PUBLISHED counts and shows; HELD (by a fake-review signal) and REMOVED (by an operator) do neither. */
  @Column({ type: 'text', default: 'PUBLISHED' })
  status!: ReviewStatus;

  /** When an operator decided on it: a decided review is never held by a signal again. */
  @Column({ name: 'moderated_at', type: 'timestamptz', precision: 3, nullable: true })
  moderatedAt!: Date | null;

  /** The seller's one answer. */
  @Column({ name: 'reply_body', type: 'text', nullable: true })
  replyBody!: string | null;

  @Column({ name: 'replied_at', type: 'timestamptz', precision: 3, nullable: true })
  repliedAt!: Date | null;

  /** Millisecond precision, as JavaScript Dates have, so that keyset cursors round-trip exactly. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/**
 * What reputation knows of an order, learnt from orders' OrderStatusChanged events, so that it can
 * tell who may review which order without calling orders. Eventually consistent: it lags orders by
 * the time an event takes to travel.
 */
@Entity({ name: 'known_orders' })
export class KnownOrderEntity {
  /** The order's id in the orders subgraph. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  /** The furthest status heard of; events arriving late never move it back (see known-orders.ts). */
  @Column({ type: 'text' })
  status!: string;

  /** When orders made that status change (the event's `at`). */
  @Column({ name: 'status_at', type: 'timestamptz', precision: 3 })
  statusAt!: Date;

  /** When the order reached DELIVERED; null until that event arrives, even if COMPLETED came first. */
  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
