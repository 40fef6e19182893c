import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type PaymentStatus = 'REQUIRES_PAYMENT' | 'SUCCEEDED' | 'CANCELLED';
export type PayoutStatus = 'PENDING' | 'AVAILABLE' | 'REFUNDED';
export type RefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';
export type LedgerKind = 'CHARGE' | 'RELEASE' | 'REFUND' | 'TRANSFER' | 'TRANSFER_RETURNED' | 'CHARGEBACK';
export type TransferStatus = 'PENDING' | 'PAID' | 'FAILED' | 'REVERSED';
export type PayoutSchedule = 'PER_ORDER' | 'DAILY' | 'WEEKLY';

/** One payment per purchase, for the orders of it that were not cancelled before payment. */
@Entity({ name: 'payments' })
export class PaymentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** A purchase of the orders subgraph, referred to by key only. */
  @Column({ name: 'purchase_id', type: 'uuid' })
  purchaseId!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** What the buyer pays, in minor units: the orders not cancelled before payment. */
  @Column({ type: 'integer' })
  amount!: number;

  @Column({ type: 'text' })
  status!: PaymentStatus;

  /** Which PaymentProvider holds it (test, stripe). */
  @Column({ type: 'text' })
  provider!: string;

  /** The provider's id of the payment (a Stripe PaymentIntent). */
  @Column({ name: 'provider_ref', type: 'text' })
  providerRef!: string;

  @Column({ name: 'client_secret', type: 'text', nullable: true })
  clientSecret!: string | null;

  /** The provider's id of the captured charge; refunds and transfers refer to it. */
  @Column({ name: 'charge_ref', type: 'text', nullable: true })
  chargeRef!: string | null;

  @Column({ name: 'succeeded_at', type: 'timestamptz', nullable: true })
  succeededAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * The money of one order: what the platform keeps, what the seller gets, what went back to the buyer.
 * Buyer, seller and currency are copied from the payment so that access checks need this row only.
 */
@Entity({ name: 'payment_orders' })
export class PaymentOrderEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'payment_id', type: 'uuid' })
  paymentId!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  buyerId!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'integer' })
  amount!: number;

  @Column({ name: 'platform_fee', type: 'integer' })
  platformFee!: number;

  @Column({ type: 'integer' })
  net!: number;

  /** Part of amount: shipping, on which no commission is taken. */
  @Column({ type: 'integer' })
  shipping!: number;

  /** The commission rate fixed when the order was created (rates by amount where its items fall under several). */
  @Column({ name: 'rate_bps', type: 'integer' })
  rateBps!: number;

  /** Settled refunds only; refunds still at the provider are PENDING rows of `refunds`. */
  @Column({ name: 'refunded_amount', type: 'integer' })
  refundedAmount!: number;

  /** The platform fee's part of the settled refunds. */
  @Column({ name: 'refunded_fee', type: 'integer' })
  refundedFee!: number;

  @Column({ type: 'text' })
  status!: PayoutStatus;

  /** The order was cancelled; before payment this also takes it out of the payment's amount. */
  @Column({ type: 'boolean' })
  cancelled!: boolean;

  /** Set when the buyer's payment captured this order's money (into escrow). */
  @Column({ name: 'charged_at', type: 'timestamptz', nullable: true })
  chargedAt!: Date | null;

  /** Set when the escrow released the seller's share. */
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt!: Date | null;

  /** What the release moved to the seller's available balance (the net less refunds before it). */
  @Column({ name: 'released_net', type: 'integer', nullable: true })
  releasedNet!: number | null;

  /**
   * What the transfer to the seller is for, fixed under the order's lock before the provider is asked:
   * the released net less the seller's share of the refunds settled since (the seller's ledger account
   * for the order). Set with transfer_ref empty, the transfer may be on its way: refunds wait for it.
   */
  @Column({ name: 'transfer_amount', type: 'integer', nullable: true })
  transferAmount!: number | null;

  /** The provider's transfer to the seller, once the provider confirmed it. */
  @Column({ name: 'transfer_ref', type: 'text', nullable: true })
  transferRef!: string | null;

  /** The transfer that pays this order's share (alone, or with others of the seller's in a DAILY or WEEKLY one). */
  @Column({ name: 'transfer_id', type: 'uuid', nullable: true })
  transferId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'refunds' })
export class RefundEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'integer' })
  amount!: number;

  /** The platform fee's part of the amount; the rest comes from the seller's share. */
  @Column({ name: 'fee_share', type: 'integer' })
  feeShare!: number;

  /** Taken back from escrow (before release) or from the seller's available balance (after). */
  @Column({ name: 'from_escrow', type: 'boolean' })
  fromEscrow!: boolean;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** PENDING while the provider is asked: it holds its amount against the order meanwhile. */
  @Column({ type: 'text' })
  status!: RefundStatus;

  @Column({ name: 'provider_ref', type: 'text', nullable: true })
  providerRef!: string | null;

  /** The event (an order's cancellation) that caused it, so that a redelivery finds it again. */
  @Column({ name: 'source_event_id', type: 'uuid', nullable: true })
  sourceEventId!: string | null;

  /** After the seller was paid: the transfer the seller's share is taken back from (a reversal). */
  @Column({ name: 'reversed_transfer_id', type: 'uuid', nullable: true })
  reversedTransferId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

@Entity({ name: 'ledger_transactions' })
export class LedgerTransactionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** What the movement is for (charge:<paymentId>, release:<orderId>, refund:<refundId>): posted once. */
  @Column({ type: 'text' })
  reference!: string;

  @Column({ type: 'text' })
  kind!: LedgerKind;

  /** Null for a transfer, which may pay orders of several payments. */
  @Column({ name: 'payment_id', type: 'uuid', nullable: true })
  paymentId!: string | null;

  @Column({ name: 'order_id', type: 'uuid', nullable: true })
  orderId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'ledger_entries' })
export class LedgerEntryEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  /** kind:owner, as ledger.ts names accounts. */
  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  currency!: string;

  /** Signed minor units: what flows into the account (negative: out of it). */
  @Column({ type: 'integer' })
  amount!: number;

  @Column({ name: 'order_id', type: 'uuid', nullable: true })
  orderId!: string | null;
}

/**
 * Money sent to a seller's payout account at the provider: one order's share (PER_ORDER) or all that
 * was released to them in a day or a week. PENDING until the provider confirms it (PAID); FAILED when
 * the provider refused it (its orders go into a new transfer); REVERSED once refunds took all of it back.
 */
@Entity({ name: 'transfers' })
export class TransferEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'integer' })
  amount!: number;

  @Column({ type: 'text' })
  status!: TransferStatus;

  /** Every attempt asks with it: a retry after a lost answer is the same transfer at the provider. */
  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'provider_ref', type: 'text', nullable: true })
  providerRef!: string | null;

  /** Taken back by refunds since (transfer reversals). */
  @Column({ name: 'reversed_amount', type: 'integer' })
  reversedAmount!: number;

  @Column({ type: 'integer' })
  attempts!: number;

  /** Why the last attempt failed, for operators. */
  @Column({ type: 'text', nullable: true })
  failure!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt!: Date | null;
}

/** How often a seller is paid; PER_ORDER without a row. */
@Entity({ name: 'payout_schedules' })
export class PayoutScheduleEntity {
  @PrimaryColumn({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'text' })
  schedule!: PayoutSchedule;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
