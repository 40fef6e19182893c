import { randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { codes } from '../../lib/client/graphql-client';
import { eventually } from '../../lib/testing/eventually';
import { newListing, newOperator, newSeller, signUp, type TestUser } from '../../lib/testing/marketplace';
import { OPERATOR, grantRole } from '../../subgraphs/accounts/roles';
import { unbalancedTransactions } from '../../subgraphs/payments/ledger';
import { FakeStripe } from '../../subgraphs/payments/__tests__/fake-stripe';
import { stripeEvent } from '../../subgraphs/payments/__tests__/stripe-harness';
import { STACK_MODES, startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Chargebacks end to end, on PostgreSQL with Redis when the environment has them and on the embedded default: the
 * whole marketplace with PAYMENT_PROVIDER=stripe against the local Stripe-speaking server, buyers paying as Stripe.js
 * does (the PaymentIntent succeeds, Stripe says so in a signed webhook). charge.dispute.created makes the order a
 * PROVIDER dispute (DISPUTED, its seller told, nothing moves it); charge.dispute.closed decides it as the bank did.
 */
describe.each(STACK_MODES)('chargebacks on %s', (mode) => {
  let stack: TestStack;
  let fake: FakeStripe;
  let seller: TestUser;
  let buyer: TestUser;
  let ops: TestUser;
  const secretKey = 'sk_test_fake';
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const signer = new Stripe(secretKey);

  beforeAll(async () => {
    fake = new FakeStripe(secretKey);
    await fake.start();
    stack = await startTestStack({
      embedded: mode === 'embedded',
      env: {
        ...process.env,
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: secretKey,
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String(fake.port),
        STRIPE_API_PROTOCOL: 'http',
      },
    });
    [seller, buyer] = await Promise.all([newSeller(stack.client), signUp(stack.client)]);
    ops = await newOperator(stack.client, (email) => grantRole(stack.subgraphs.accounts.db, email, OPERATOR));
  });
  afterAll(async () => {
    await stack?.stop();
    await fake?.stop();
  });
  afterEach(async () => {
    expect(await stack.subgraphs.payments.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  /** As Stripe delivers a webhook: the raw JSON, signed, to payments' endpoint. */
  async function deliver(payload: string): Promise<void> {
    const response = await fetch(stack.subgraphs.payments.url.replace(/\/graphql$/, '/webhooks/stripe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) },
      body: payload,
    });
    expect(response.status).toBe(200);
  }

  const statusOf = async (orderId: string) => (await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status;
  const kindsOf = async (user: TestUser) =>
    (await user.client.ok<{ me: { notifications: { edges: { node: { kind: string; order: { id: string } | null } }[] } } }>('MyNotifications', { first: 50 })).me.notifications.edges.map(
      (e) => [e.node.kind, e.node.order?.id],
    );

  /** A shipped order, paid with Stripe.js: its PaymentIntent and charge. */
  async function shippedOrder(price: number): Promise<{ orderId: string; intentId: string; chargeId: string }> {
    const listing = await newListing(seller.client, { title: `Charged back ${price}`, price: { amount: price, currency: 'USD' }, stock: 1 });
    const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
      input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
    });
    const [{ provider_ref: intentId }]: { provider_ref: string }[] = await stack.subgraphs.payments.db.transaction((m) =>
      m.query(`SELECT provider_ref FROM payments WHERE id = $1`, [checkout.payment.id]),
    );
    const intent = fake.succeed(intentId);
    await deliver(stripeEvent('payment_intent.succeeded', intent));
    const orderId = checkout.orders[0].id;
    await eventually(async () => expect(await statusOf(orderId)).toBe('PAID'));
    await seller.client.ok('AcceptOrder', { id: orderId });
    await seller.client.ok('ShipOrder', { id: orderId, trackingNumber: '1Z999' });
    return { orderId, intentId, chargeId: intent.latest_charge as string };
  }

  const stripeDispute = (paid: { intentId: string; chargeId: string }, id: string, amount: number, status: string) => ({
    id,
    object: 'dispute',
    amount,
    currency: 'usd',
    charge: paid.chargeId,
    payment_intent: paid.intentId,
    reason: 'product_not_received',
    status,
  });

  interface Seen {
    id: string;
    status: string;
    source: string;
    reason: string;
    outcome: string | null;
    refunded: { amount: number } | null;
    order: { id: string; status: string };
  }
  const disputesOf = async (user: TestUser) =>
    (await user.client.ok<{ myDisputes: { edges: { node: { id: string; order: { id: string } } }[] } }>('MyDisputes', { first: 100 })).myDisputes.edges.map((e) => e.node);

  test('created: a PROVIDER dispute holds the order; closed lost: the order is REFUNDED, both parties told', async () => {
    const paid = await shippedOrder(6000);
    const ref = `dp_${randomBytes(8).toString('hex')}`;
    await deliver(stripeEvent('charge.dispute.created', stripeDispute(paid, ref, 6000, 'needs_response')));
    const disputeId = await eventually(async () => {
      const found = (await disputesOf(buyer)).find((d) => d.order.id === paid.orderId);
      expect(found).toBeDefined();
      return found!.id;
    });
    const { dispute } = await seller.client.ok<{ dispute: Seen }>('Dispute', { id: disputeId });
    expect(dispute).toMatchObject({ source: 'PROVIDER', reason: 'NOT_RECEIVED', status: 'AWAITING_SELLER', order: { id: paid.orderId, status: 'DISPUTED' } });
    await eventually(async () => expect(await kindsOf(seller)).toContainEqual(['DISPUTE_OPENED', paid.orderId]));
    // nothing moves it but the bank: not the buyer's confirmation, not an operator
    expect(codes(await buyer.client.op('ConfirmDelivery', { id: paid.orderId }))).toEqual(['CONFLICT']);
    expect(codes(await ops.client.op('ResolveDispute', { id: disputeId, outcome: 'RELEASE_TO_SELLER', note: 'Mine to decide?' }))).toEqual(['CONFLICT']);
    // the seller's evidence goes in the thread like any dispute's
    await seller.client.ok('AddDisputeMessage', { id: disputeId, body: 'Tracking shows it delivered on the 3rd.' });

    await deliver(stripeEvent('charge.dispute.closed', stripeDispute(paid, ref, 6000, 'lost')));
    await eventually(async () => expect(await statusOf(paid.orderId)).toBe('REFUNDED'));
    const { dispute: decided } = await buyer.client.ok<{ dispute: Seen }>('Dispute', { id: disputeId });
    expect(decided).toMatchObject({ status: 'RESOLVED', outcome: 'REFUND_BUYER', refunded: { amount: 6000 }, order: { status: 'REFUNDED' } });
    await eventually(async () => {
      expect(await kindsOf(buyer)).toContainEqual(['DISPUTE_RESOLVED', paid.orderId]);
      expect(await kindsOf(seller)).toContainEqual(['DISPUTE_RESOLVED', paid.orderId]);
    });
    expect(await kindsOf(seller)).not.toContainEqual(['FUNDS_RELEASED', paid.orderId]);
  });

  test('closed (won) before created: the order goes on where it was, and a late created opens nothing', async () => {
    const paid = await shippedOrder(4500);
    const ref = `dp_${randomBytes(8).toString('hex')}`;
    await deliver(stripeEvent('charge.dispute.closed', stripeDispute(paid, ref, 4500, 'won')));
    await deliver(stripeEvent('charge.dispute.created', stripeDispute(paid, ref, 4500, 'needs_response')));
    const found = await eventually(async () => {
      const d = (await disputesOf(buyer)).find((x) => x.order.id === paid.orderId);
      expect(d).toBeDefined();
      const { dispute } = await buyer.client.ok<{ dispute: Seen }>('Dispute', { id: d!.id });
      expect(dispute.status).toBe('RESOLVED');
      return dispute;
    });
    expect(found).toMatchObject({ source: 'PROVIDER', outcome: 'RELEASE_TO_SELLER', refunded: { amount: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the late created has been handled
    expect((await disputesOf(buyer)).filter((d) => d.order.id === paid.orderId)).toHaveLength(1);
    expect(await statusOf(paid.orderId)).toBe('SHIPPED');
    // back where it was is no news: the buyer was told of the shipment once
    expect((await kindsOf(buyer)).filter(([kind, id]) => kind === 'ORDER_SHIPPED' && id === paid.orderId)).toHaveLength(1);
    // and the order finishes as usual
    await buyer.client.ok('ConfirmDelivery', { id: paid.orderId });
    await eventually(async () => expect(await statusOf(paid.orderId)).toBe('COMPLETED'));
  });
});
