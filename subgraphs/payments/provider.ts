import type { Money } from '../../lib/money';

/**
 * What payments needs from a payment service provider. One code path serves every provider: the
 * built-in test provider (the embedded default) and Stripe Connect with separate charges and
 * transfers (stripe-provider.ts: one PaymentIntent per purchase with transfer_group = purchase id,
 * one transfer per seller order on release, refunds with transfer reversals).
 *
 * Every call carries an idempotency key (Stripe's Idempotency-Key header): a call repeated with the
 * same key, after a timeout or a crash, has the effect of one call. Services call providers outside
 * database transactions, record what they intend before the call and what happened after it.
 *
 * A call that fails with PaymentRefusedError did nothing. Any other failure (a timeout, a network
 * error, a 5xx) leaves the outcome unknown: the call may have taken effect, so the caller keeps its
 * intent and asks again with the same idempotency key.
 */
export interface PaymentProvider {
  /** Shown as Payment.provider: test, stripe. */
  readonly name: string;

  /** Opens the payment of a purchase; the client secret lets the buyer's client (Stripe.js) pay it. */
  createPayment(input: {
    purchaseId: string;
    buyerId: string;
    amount: Money;
    idempotencyKey: string;
  }): Promise<{ reference: string; clientSecret: string }>;

  /** Sets what the buyer will pay, before they pay: an order of the purchase was cancelled. Zero cancels the payment. */
  updateAmount(input: { reference: string; amount: Money; idempotencyKey: string }): Promise<void>;

  /**
   * Confirms and captures the payment with a card number. Test mode only: a provider without it
   * (Stripe) has real buyers pay through the client secret and reports by webhook. A decline is an
   * answer, not an error.
   */
  confirmWithCard?(input: { reference: string; amount: Money; card: string; idempotencyKey: string }): Promise<CardResult>;

  /**
   * Gives money back to the buyer. With reverseTransfer the seller's share was already transferred:
   * that much is first taken back from the seller's transfer (Stripe: a transfer reversal).
   */
  refund(input: {
    reference: string;
    chargeReference: string;
    amount: Money;
    reverseTransfer?: { transferReference: string; amount: number };
    /** Our ids the provider keeps with it (Stripe's metadata): refund_id, or voids_payment for a charge given back on receipt. */
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<{ reference: string }>;

  /**
   * Pays the seller's share of an order out of the purchase's charge, when escrow releases it; escrow
   * asks only for sellers whose payouts are ENABLED (payout-accounts.ts).
   */
  transfer(input: {
    /** The charge it pays from, when it pays one order; null for a transfer of several (from the platform's balance). */
    chargeReference: string | null;
    /** The purchase id (or the transfer's, for several orders): Stripe's transfer_group ties transfers to charges. */
    transferGroup: string;
    /** The seller as this marketplace knows it; the adapter maps it to the provider's account. */
    sellerId: string;
    amount: Money;
    /** Our transfer's id, kept with it at the provider (transfer_id). */
    transferId: string;
    idempotencyKey: string;
  }): Promise<{ reference: string }>;

  /**
   * Takes back part of a transfer already made to a seller, out of their connected account's balance (Stripe: a
   * transfer reversal). A chargeback lost after the seller was paid recovers the seller's share this way.
   * Refused (PaymentRefusedError) when the provider will not: the seller's balance cannot cover it, or less is
   * left of the transfer than asked.
   */
  reverseTransfer(input: {
    /** The provider's transfer (tr_…). */
    transferReference: string;
    amount: Money;
    /** Our ids the provider keeps with it (Stripe's metadata): chargeback, order_id. */
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<{ reference: string }>;

  /**
   * What the provider itself recorded from `since` on: its payments (one per purchase), refunds and
   * transfers. Reconciliation compares them with payments' own records.
   */
  listRecords(since: Date): AsyncIterable<ProviderRecord>;
}

/** One of the provider's own records, as reconciliation compares it. */
export interface ProviderRecord {
  kind: 'payment' | 'refund' | 'transfer';
  /** The provider's id: pi_…, re_…, tr_… */
  reference: string;
  /**
   * Our id it carries (metadata): the purchase of a payment, the refund's or the transfer's own id;
   * `void:<payment id>` for a charge given back on receipt; null when it carries none.
   */
  ourId: string | null;
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  state: 'succeeded' | 'pending' | 'failed' | 'canceled';
  createdAt: Date;
}

/**
 * The provider answered, and the answer was no (Stripe: an error response such as an invalid request
 * or a card error): nothing happened, and asking again with the same idempotency key gets the same no.
 */
export class PaymentRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentRefusedError';
  }
}

export type CardResult =
  | { outcome: 'succeeded'; chargeReference: string }
  /** The card was refused: nothing was charged. */
  | { outcome: 'declined'; message: string }
  /** Not a card the provider can charge (in test mode: not one of its test numbers). */
  | { outcome: 'invalid_card'; message: string };
