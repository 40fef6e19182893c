import Stripe from 'stripe';
import { badInput } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Money } from '../../lib/money';
import { PaymentRefusedError, type PaymentProvider, type ProviderRecord } from './provider';

/**
 * Stripe Connect with separate charges and transfers (DESIGN.md 7): one PaymentIntent per purchase,
 * captured at once into the platform's balance with transfer_group = purchase id; one Transfer per
 * seller order when escrow releases it. Escrow is the delay before the transfer, not a manual
 * capture: an uncaptured card authorisation lapses after 7 days, sooner than many deliveries.
 *
 * The buyer confirms the PaymentIntent in their client (Stripe.js, with the client secret), and
 * the payment_intent.succeeded webhook records it (stripe-webhooks.ts); so there is no
 * confirmWithCard here, and confirmTestPayment refuses.
 *
 * Every POST carries the caller's idempotency key (or one derived from it), so that a retry, ours
 * or the library's, has the effect of one request.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';

  constructor(
    private readonly stripe: Stripe,
    /** The seller's connected account, or null while they cannot be paid (payout-accounts.ts). */
    private readonly accountOf: (sellerId: string) => Promise<string | null>,
    private readonly logger: Logger,
  ) {}

  async createPayment(input: { purchaseId: string; buyerId: string; amount: Money; idempotencyKey: string }) {
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: input.amount.amount,
          currency: input.amount.currency.toLowerCase(),
          transfer_group: input.purchaseId,
          metadata: { purchase_id: input.purchaseId, buyer_id: input.buyerId },
        },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (error) {
      // Stripe's minimum (about 0.50 USD) and maximum charges are the buyer's to fix, not a failure of ours
      if (stripeCode(error) === 'amount_too_small' || stripeCode(error) === 'amount_too_large') {
        throw badInput((error as Error).message, 'orders');
      }
      throw error;
    }
    if (!intent.client_secret) throw new Error(`Stripe answered PaymentIntent ${intent.id} without a client secret`);
    return { reference: intent.id, clientSecret: intent.client_secret };
  }

  async updateAmount(input: { reference: string; amount: Money; idempotencyKey: string }): Promise<void> {
    const options = { idempotencyKey: input.idempotencyKey };
    try {
      if (input.amount.amount === 0) await this.stripe.paymentIntents.cancel(input.reference, {}, options);
      else await this.stripe.paymentIntents.update(input.reference, { amount: input.amount.amount }, options);
    } catch (error) {
      // Paid (or cancelled) meanwhile. Retrying cannot help: Stripe answers the key with the same error.
      // If it was paid, the succeeded webhook finds the amounts differ and gives the charge back.
      if (stripeCode(error) === 'payment_intent_unexpected_state') {
        this.logger.warn('a PaymentIntent could no longer be changed', { paymentIntent: input.reference, amount: input.amount.amount, error });
        return;
      }
      throw error;
    }
  }

  /**
   * A Refund on the PaymentIntent. When the seller was paid already, their share is first taken back
   * with a transfer reversal, so that the platform's balance has it to refund. (Refund's own
   * reverse_transfer applies to destination charges only, not to separate transfers.)
   */
  async refund(input: Parameters<PaymentProvider['refund']>[0]): Promise<{ reference: string }> {
    const reversal = input.reverseTransfer?.amount ? input.reverseTransfer : undefined;
    if (reversal) {
      try {
        await this.stripe.transfers.createReversal(
          reversal.transferReference,
          { amount: reversal.amount, metadata: { refund: input.idempotencyKey } },
          { idempotencyKey: `${input.idempotencyKey}:reversal` },
        );
      } catch (error) {
        throw asRefusal(error, 'Stripe refused the transfer reversal');
      }
    }
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: input.reference, amount: input.amount.amount, metadata: input.metadata },
        { idempotencyKey: input.idempotencyKey },
      );
      return { reference: refund.id };
    } catch (error) {
      // an unknown outcome (a timeout, a 5xx) keeps the reversal: the refund may have gone through, and is asked again
      if (reversal && refused(error)) await this.restore(reversal, input.amount.currency, input.idempotencyKey);
      throw asRefusal(error, 'Stripe refused the refund');
    }
  }

  async transfer(input: Parameters<PaymentProvider['transfer']>[0]) {
    const destination = await this.accountOf(input.sellerId);
    // escrow asked first; the account was disabled since: nothing was sent, and the sweep asks again
    if (!destination) throw new Error(`seller ${input.sellerId} cannot be paid now: their payout account is not ENABLED`);
    let transfer: Stripe.Transfer;
    try {
      transfer = await this.stripe.transfers.create(
        {
          amount: input.amount.amount,
          currency: input.amount.currency.toLowerCase(),
          destination,
          transfer_group: input.transferGroup,
          // ties the transfer to the charge: it may go out before the charge's funds settle, and never exceeds it
          ...(input.chargeReference?.startsWith('ch_') ? { source_transaction: input.chargeReference } : {}),
          metadata: { seller_id: input.sellerId, transfer_id: input.transferId },
        },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (error) {
      throw asRefusal(error, 'Stripe refused the transfer');
    }
    return { reference: transfer.id };
  }

  /**
   * A transfer reversal: Stripe takes the amount back from the connected account's balance. Stripe refuses it
   * (a 4xx) when that balance cannot cover it, among other reasons; the caller's key makes a retry the same
   * reversal. Reversals are not listed for reconciliation: a transfer keeps its amount at Stripe (the reversal
   * is amount_reversed), as transfers here keep theirs (reversed_amount).
   */
  async reverseTransfer(input: Parameters<PaymentProvider['reverseTransfer']>[0]): Promise<{ reference: string }> {
    try {
      const reversal = await this.stripe.transfers.createReversal(
        input.transferReference,
        { amount: input.amount.amount, metadata: input.metadata },
        { idempotencyKey: input.idempotencyKey },
      );
      return { reference: reversal.id };
    } catch (error) {
      throw asRefusal(error, 'Stripe refused the transfer reversal');
    }
  }

  /**
   * Stripe's PaymentIntents, refunds and transfers created from `since` on, newest first, every page
   * (the library follows starting_after). Transfers that give a refused refund's reversal back
   * (metadata.restores) are Stripe-side corrections with nothing of ours to match: left out.
   */
  async *listRecords(since: Date): AsyncIterable<ProviderRecord> {
    const created = { gte: Math.floor(since.getTime() / 1000) };
    const at = (seconds: number) => new Date(seconds * 1000);
    for await (const intent of this.stripe.paymentIntents.list({ created, limit: 100 })) {
      const state = intent.status === 'succeeded' ? 'succeeded' : intent.status === 'canceled' ? 'canceled' : 'pending';
      yield {
        kind: 'payment',
        reference: intent.id,
        ourId: intent.metadata?.purchase_id ?? null,
        amount: state === 'succeeded' ? intent.amount_received : intent.amount,
        currency: intent.currency.toUpperCase(),
        state,
        createdAt: at(intent.created),
      };
    }
    for await (const refund of this.stripe.refunds.list({ created, limit: 100 })) {
      const voids = refund.metadata?.voids_payment;
      yield {
        kind: 'refund',
        reference: refund.id,
        ourId: refund.metadata?.refund_id ?? (voids ? `void:${voids}` : null),
        amount: refund.amount,
        currency: refund.currency.toUpperCase(),
        state: refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending',
        createdAt: at(refund.created),
      };
    }
    for await (const transfer of this.stripe.transfers.list({ created, limit: 100 })) {
      if (transfer.metadata?.restores) continue;
      yield {
        kind: 'transfer',
        reference: transfer.id,
        ourId: transfer.metadata?.transfer_id ?? null,
        amount: transfer.amount,
        currency: transfer.currency.toUpperCase(),
        state: 'succeeded',
        createdAt: at(transfer.created),
      };
    }
  }

  /**
   * Stripe refused the refund after the seller's share was reversed: the refund will be FAILED, so the
   * seller gets their share back. A refund whose outcome is unknown (a timeout) keeps the reversal,
   * as it may have gone through.
   */
  private async restore(reversal: { transferReference: string; amount: number }, currency: string, idempotencyKey: string) {
    try {
      const original = await this.stripe.transfers.retrieve(reversal.transferReference);
      const destination = typeof original.destination === 'string' ? original.destination : original.destination?.id;
      if (!destination) throw new Error(`transfer ${original.id} has no destination`);
      await this.stripe.transfers.create(
        {
          amount: reversal.amount,
          currency: currency.toLowerCase(),
          destination,
          ...(original.transfer_group ? { transfer_group: original.transfer_group } : {}),
          metadata: { restores: reversal.transferReference },
        },
        { idempotencyKey: `${idempotencyKey}:restore` },
      );
    } catch (error) {
      this.logger.error('a refused refund’s transfer reversal could not be given back to the seller: reconcile by hand', {
        transfer: reversal.transferReference,
        amount: reversal.amount,
        error,
      });
    }
  }
}

function stripeCode(error: unknown): string | undefined {
  return error instanceof Stripe.errors.StripeError ? error.code : undefined;
}

/**
 * Stripe answered, and the answer was no: nothing happened. Not so a timeout, a network error or a
 * 5xx (the request may have taken effect), a 409 (the same key is still being worked on) or a 429
 * (too many requests: not an answer about this one).
 */
function refused(error: unknown): boolean {
  if (!(error instanceof Stripe.errors.StripeError) || error.statusCode === undefined) return false;
  return error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 409 && error.statusCode !== 429;
}

/** A refusal as the port names it (PaymentRefusedError); any other error as it is: its outcome is unknown. */
function asRefusal(error: unknown, what: string): unknown {
  return refused(error) ? new PaymentRefusedError(`${what}: ${(error as Error).message}`, { cause: error }) : error;
}
