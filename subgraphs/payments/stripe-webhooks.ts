import type Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { readBody, sendJson } from '../../lib/server/http';
import type { RouteHandler } from '../../lib/server/subgraph-server';
import { PaymentEntity } from './entities';
import type { Chargebacks, ProviderDispute } from './chargebacks';
import type { PayoutAccounts } from './payout-accounts';
import type { PaymentsService } from './service';
import { payoutStateOf } from './stripe-onboarding';

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

export interface StripeWebhookOptions {
  db: DataSource;
  stripe: Stripe;
  webhookSecret: string;
  payments: PaymentsService;
  payoutAccounts: PayoutAccounts;
  chargebacks: Chargebacks;
  logger: Logger;
}

/**
 * Stripe's events, verified on the raw body and handled once per event id.
 *
 * Each handler is idempotent on its own (recordSuccess counts a payment's first success only), so
 * the event id is remembered after the work commits rather than with it: a crash in between makes
 * Stripe's redelivery redo a no-op instead of losing the event. A failure answers 500 and Stripe
 * delivers the event again, for up to three days. The work is one short transaction, so Stripe
 * gets its answer quickly.
 *
 * Chargebacks (charge.dispute.created and .closed) are idempotent by the provider's dispute id, and a
 * closed delivered before its created opens the chargeback first (chargebacks.ts).
 *
 * The endpoint's API version (set in Stripe's dashboard) must be 2022-11-15 or later:
 * PaymentIntents name their charge in latest_charge since then.
 */
export function stripeWebhookRoute(options: StripeWebhookOptions): RouteHandler {
  const { db, stripe, webhookSecret, logger } = options;
  const handle = handlers(options);
  return async (req, res) => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
    const raw = await readBody(req);
    const signature = req.headers['stripe-signature'];
    let event: Stripe.Event;
    try {
      if (typeof signature !== 'string') throw new Error('no Stripe-Signature header');
      event = stripe.webhooks.constructEvent(raw, signature, webhookSecret);
    } catch (error) {
      logger.warn('refused a Stripe webhook whose signature does not verify', { reason: (error as Error).message.split('\n')[0] });
      return sendJson(res, 400, { error: 'invalid signature' });
    }

    const seen = await db.transaction((m) => m.query(`SELECT 1 FROM stripe_events WHERE event_id = $1`, [event.id]));
    if ((seen as unknown[]).length > 0) return sendJson(res, 200, { received: true, duplicate: true });
    try {
      await handle(event);
    } catch (error) {
      logger.error('a Stripe event could not be handled; Stripe will deliver it again', { eventId: event.id, type: event.type, error });
      return sendJson(res, 500, { error: 'not handled; deliver again later' });
    }
    await db.transaction((m) =>
      m.query(`INSERT INTO stripe_events (event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [event.id, event.type]),
    );
    sendJson(res, 200, { received: true });
  };
}

function handlers({ db, payments, payoutAccounts, chargebacks, logger }: StripeWebhookOptions): (event: Stripe.Event) => Promise<void> {
  const paymentOf = (intentId: string) =>
    db.transaction((m) => m.getRepository(PaymentEntity).findOneBy({ provider: 'stripe', providerRef: intentId }));

  async function succeeded(intent: Stripe.PaymentIntent): Promise<void> {
    const payment = await paymentOf(intent.id);
    if (!payment) {
      logger.warn('payment_intent.succeeded for a PaymentIntent that no payment knows', { paymentIntent: intent.id });
      return;
    }
    // without a charge id transfers go out without source_transaction, and refunds name the PaymentIntent anyway
    const charge = (typeof intent.latest_charge === 'string' ? intent.latest_charge : intent.latest_charge?.id) ?? intent.id;
    try {
      await payments.recordSuccess(payment.id, charge, intent.amount_received);
    } catch (error) {
      // the purchase changed while the buyer paid: recordSuccess gave the charge back (and logged it), which settles the event
      if (error instanceof AppError && error.extensions.code === 'CONFLICT') return;
      throw error;
    }
  }

  /** Refunds are recorded when made (refunds.ts); this only notices refunds made elsewhere (the dashboard). */
  async function refunded(charge: Stripe.Charge): Promise<void> {
    const intentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    const payment = intentId ? await paymentOf(intentId) : null;
    if (!payment) {
      logger.warn('charge.refunded for a charge that no payment knows', { charge: charge.id });
      return;
    }
    // a duplicate or stale charge that recordSuccess gave back whole
    if (payment.chargeRef !== charge.id) {
      logger.info('a charge given back on receipt was refunded', { paymentId: payment.id, charge: charge.id });
      return;
    }
    const [{ total }] = (await db.transaction((m) =>
      m.query(
        `SELECT coalesce(sum(r.amount), 0)::int AS total FROM refunds r JOIN payment_orders o ON o.order_id = r.order_id
         WHERE o.payment_id = $1 AND r.status IN ('PENDING', 'SUCCEEDED')`,
        [payment.id],
      ),
    )) as { total: number }[];
    if (charge.amount_refunded <= total) {
      logger.info('a charge was refunded, as recorded', { paymentId: payment.id, charge: charge.id, refunded: charge.amount_refunded });
    } else {
      logger.warn('Stripe shows more refunded than the marketplace recorded (a refund made outside it?): reconcile the ledger by hand', {
        paymentId: payment.id,
        charge: charge.id,
        atStripe: charge.amount_refunded,
        recorded: total,
      });
    }
  }

  /**
   * A seller's connected account changed (onboarding, verification, requirements): its state as of
   * the event's time, unless a later event was applied (Stripe does not deliver in order).
   */
  async function accountUpdated(account: Stripe.Account, created: number): Promise<void> {
    const sellerId = await payoutAccounts.apply('stripe', account.id, payoutStateOf(account), new Date(created * 1000));
    if (!sellerId) logger.warn('account.updated for a connected account that no seller has', { account: account.id });
  }

  return async (event) => {
    if (event.type === 'account.updated') return accountUpdated(event.data.object, event.created);
    // other events of sellers' connected accounts concern their own objects, not the platform's payments
    if (event.account) return;
    switch (event.type) {
      case 'payment_intent.succeeded':
        return succeeded(event.data.object);
      case 'payment_intent.payment_failed': {
        // the payment stays REQUIRES_PAYMENT: the buyer may try again with the same client secret
        const intent = event.data.object;
        logger.info('a payment attempt failed', {
          paymentIntent: intent.id,
          code: intent.last_payment_error?.code,
          message: intent.last_payment_error?.message,
        });
        return;
      }
      case 'charge.refunded':
        return refunded(event.data.object);
      // chargebacks (chargebacks.ts): the money is held while the bank decides; won or lost when it has
      case 'charge.dispute.created':
        return void (await chargebacks.opened(providerDispute(event.data.object)));
      case 'charge.dispute.closed': {
        const dispute = event.data.object;
        // warning_closed: an inquiry that never became a chargeback, as good as won
        if (dispute.status !== 'won' && dispute.status !== 'lost' && dispute.status !== 'warning_closed') {
          logger.warn('charge.dispute.closed with a status payments does not know; left open', { dispute: dispute.id, status: dispute.status });
          return;
        }
        return chargebacks.closed(providerDispute(dispute), dispute.status !== 'lost');
      }
      default:
        logger.debug('a Stripe event payments does not act on', { type: event.type, eventId: event.id });
    }
  };
}

function providerDispute(dispute: Stripe.Dispute): ProviderDispute {
  const idOf = (ref: string | { id: string } | null) => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);
  return {
    reference: dispute.id,
    paymentReference: idOf(dispute.payment_intent),
    chargeReference: idOf(dispute.charge),
    amount: dispute.amount,
    reason: dispute.reason,
  };
}
