import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';
import { startPayments, type PaymentResult, type PaymentsHarness } from './harness';

/**
 * The payments subgraph (harness.ts) with PAYMENT_PROVIDER=stripe, its Stripe client pointed at a
 * fake Stripe on 127.0.0.1 (fake-stripe.ts). Webhooks are signed as Stripe signs them; the buyer's
 * Stripe.js confirmation is the fake's `succeed`.
 */
export interface StripeHarness {
  h: PaymentsHarness<StripePayment>;
  fake: FakeStripe;
  secretKey: string;
  webhookSecret: string;
  /** payments' webhook endpoint. */
  webhookUrl: string;
  /** Signs a payload as Stripe does: the Stripe-Signature header. */
  sign(payload: string, secret?: string): string;
  /** Delivers an event as Stripe does: the raw JSON, signed with the endpoint's secret (or another, or a given header, or none). */
  deliver(payload: string, options?: { secret?: string; signature?: string | null }): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The buyer pays with Stripe.js, and Stripe reports it. */
  pay(payment: PaymentResult): Promise<StripePayment>;
  stop(): Promise<void>;
}

export interface StripePayment {
  intentId: string;
  chargeId: string;
  payload: string;
}

/** An event as Stripe sends it; `created` (seconds) orders events of one object. */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  { id = `evt_${randomBytes(12).toString('hex')}`, created = Math.floor(Date.now() / 1000), account }: { id?: string; created?: number; account?: string } = {},
): string {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2025-08-27.basil',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...(account ? { account } : {}),
  });
}

export const providerRefOf = (payment: PaymentResult) => payment.clientSecret!.replace(/_secret_.*$/, '');

export async function startStripePayments(): Promise<StripeHarness> {
  const secretKey = 'sk_test_fake';
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const fake = new FakeStripe(secretKey);
  // only to sign webhooks, as Stripe does
  const signer = new Stripe(secretKey);
  await fake.start();
  const sign = (payload: string, secret = webhookSecret) => signer.webhooks.generateTestHeaderString({ payload, secret });
  let webhookUrl = '';
  const deliver: StripeHarness['deliver'] = async (payload, { secret, signature } = {}) => {
    const header = signature === undefined ? sign(payload, secret) : signature;
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'stripe-signature': header }) },
      body: payload,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The buyer pays with Stripe.js, and Stripe reports it. */
  const payWithStripe = async (payment: PaymentResult): Promise<StripePayment> => {
    const intentId = providerRefOf(payment);
    const intent = fake.succeed(intentId);
    const payload = stripeEvent('payment_intent.succeeded', intent);
    const { status } = await deliver(payload);
    if (status !== 200) throw new Error(`payment_intent.succeeded was answered ${status}`);
    return { intentId, chargeId: intent.latest_charge as string, payload };
  };
  const h = await startPayments({
    env: {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(fake.port),
      STRIPE_API_PROTOCOL: 'http',
    },
    pay: payWithStripe,
  });
  webhookUrl = h.subgraph.url.replace(/\/graphql$/, '/webhooks/stripe');
  return {
    h,
    fake,
    secretKey,
    webhookSecret,
    webhookUrl,
    sign,
    deliver,
    pay: payWithStripe,
    async stop() {
      await h.stop();
      await fake.stop();
    },
  };
}
