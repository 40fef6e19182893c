import { randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { signViewer, type Viewer } from '../../../lib/auth/viewer';
import { dropDatabase } from '../../../lib/db/data-source';
import type { EventPayloads } from '../../../lib/events/catalog';
import { InProcessBus } from '../../../lib/events/in-process-bus';
import type { EventEnvelope } from '../../../lib/events/types';
import { createLogger } from '../../../lib/logger';
import { startSubgraph, type StartedSubgraph } from '../../../lib/server/start-subgraph';
import { eventually } from '../../../lib/testing/eventually';
import { Escrow } from '../escrow';
import { unbalancedTransactions } from '../ledger';
import { Refunds } from '../refunds';
import { SellerAccounts } from '../seller-accounts';
import { createStripeClient } from '../stripe-config';
import { StripePaymentProvider } from '../stripe-provider';
import { paymentsModule } from '../subgraph';
import { FakeStripe } from './fake-stripe';

/**
 * The payments subgraph alone with PAYMENT_PROVIDER=stripe, its Stripe client pointed at a fake
 * Stripe on 127.0.0.1 (fake-stripe.ts). Webhooks are signed as Stripe signs them; the buyer's
 * Stripe.js confirmation is the fake's `succeed`. Orders' status changes are published by the test.
 */

const secret = randomBytes(32).toString('base64url');
const STRIPE_KEY = 'sk_test_fake';
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const fake = new FakeStripe(STRIPE_KEY);
// only to sign webhooks, as Stripe does
const signer = new Stripe(STRIPE_KEY);
const observed: EventEnvelope[] = [];
let bus: InProcessBus;
let logger: ReturnType<typeof createLogger>;
let subgraph: StartedSubgraph;
let sellerAccounts: SellerAccounts;
/** What the subgraph runs in the background (the stale-refund retry, the transfer sweep), run by the tests when they choose. */
let background: { refunds: Refunds; escrow: Escrow };
let databaseUrl: string | undefined;

beforeAll(async () => {
  const server = process.env.DATABASE_URL;
  if (server) {
    const url = new URL(server);
    url.pathname = `/t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    databaseUrl = url.toString();
  }
  await fake.start();
  logger = createLogger();
  bus = new InProcessBus(logger, [20, 50, 100]);
  await bus.subscribe('observer', async (event) => void observed.push(event));
  subgraph = await startSubgraph(paymentsModule(), {
    databaseUrl,
    ephemeral: true,
    routerSecret: secret,
    logger,
    bus,
    peerUrl: () => '',
    env: {
      ...process.env,
      PLATFORM_FEE_BPS: '1000',
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(fake.port),
      STRIPE_API_PROTOCOL: 'http',
    },
  });
  sellerAccounts = new SellerAccounts(subgraph.db);
  const client = createStripeClient({ secretKey: STRIPE_KEY, webhookSecret: WEBHOOK_SECRET, host: '127.0.0.1', port: fake.port, protocol: 'http' });
  const adapter = new StripePaymentProvider(client, (sellerId) => sellerAccounts.stripeAccountOf(sellerId), logger);
  const wake = () => subgraph.outbox.wake();
  const refunds = new Refunds(subgraph.db, adapter, wake, logger);
  background = { refunds, escrow: new Escrow(subgraph.db, adapter, refunds, wake, logger) };
});

afterAll(async () => {
  await subgraph?.stop();
  await bus?.close();
  await fake.stop();
  if (databaseUrl) await dropDatabase(databaseUrl);
});

// --- calling the subgraph -------------------------------------------------------------------------

interface Response<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function call<T = Record<string, unknown>>(viewer: Viewer | null, query: string, variables: Record<string, unknown> = {}): Promise<Response<T>> {
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signViewer(viewer, secret) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Response<T>;
}

async function ok<T = Record<string, unknown>>(viewer: Viewer | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await call<T>(viewer, query, variables);
  if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

const codes = (result: Response<unknown>) => (result.errors ?? []).map((e) => e.extensions?.code);

const ORDERS_SERVICE: Viewer = { userId: 'service:orders', roles: ['service'], scopes: ['internal'] };
const buyerViewer = (userId: string): Viewer => ({ userId, roles: ['buyer'], scopes: ['buyer'] });
const sellerViewer = (sellerId: string): Viewer => ({
  userId: randomUUID(),
  roles: ['buyer', 'seller'],
  scopes: ['buyer', 'seller'],
  seller: { id: sellerId, currency: 'USD' },
});

const CREATE = `mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id status clientSecret provider amount { amount currency } } }`;
const CONFIRM = `mutation ($id: ID!, $card: String!) { confirmTestPayment(paymentId: $id, card: $card) { id status } }`;
const REFUND = `mutation ($orderId: ID!, $amount: Int) { refundOrder(orderId: $orderId, amount: $amount) { id status amount { amount } } }`;

interface PaymentResult {
  id: string;
  status: string;
  clientSecret: string | null;
  provider: string;
  amount: { amount: number; currency: string };
}

// --- the marketplace around payments --------------------------------------------------------------

interface TestOrder {
  orderId: string;
  sellerId: string;
  lines: { categorySlug: string; amount: number }[];
}
interface TestPurchase {
  purchaseId: string;
  buyerId: string;
  orders: TestOrder[];
  input: Record<string, unknown>;
}

function purchaseOf(orders: { lines: { categorySlug: string; amount: number }[]; sellerId?: string }[]): TestPurchase {
  const purchaseId = randomUUID();
  const buyerId = randomUUID();
  const withIds = orders.map((o) => ({ orderId: randomUUID(), sellerId: o.sellerId ?? randomUUID(), lines: o.lines }));
  return { purchaseId, buyerId, orders: withIds, input: { purchaseId, buyerId, currency: 'USD', orders: withIds } };
}

async function openPayment(purchase: TestPurchase): Promise<PaymentResult> {
  return (await ok<{ createPayment: PaymentResult }>(ORDERS_SERVICE, CREATE, { input: purchase.input })).createPayment;
}

const webhookUrl = () => subgraph.url.replace(/\/graphql$/, '/webhooks/stripe');

function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomBytes(12).toString('hex')}`): string {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2025-08-27.basil',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
}

/** Delivers an event as Stripe does: the raw JSON, signed with the endpoint's secret. */
async function deliver(payload: string, { secret: signingSecret = WEBHOOK_SECRET, signature }: { secret?: string; signature?: string | null } = {}) {
  const header = signature === undefined ? signer.webhooks.generateTestHeaderString({ payload, secret: signingSecret }) : signature;
  const response = await fetch(webhookUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'stripe-signature': header }) },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The buyer pays with Stripe.js, and Stripe reports it. */
async function payWithStripe(payment: PaymentResult): Promise<{ intentId: string; chargeId: string; payload: string }> {
  const intentId = providerRefOf(payment);
  const intent = fake.succeed(intentId);
  const payload = stripeEvent('payment_intent.succeeded', intent);
  expect((await deliver(payload)).status).toBe(200);
  return { intentId, chargeId: intent.latest_charge as string, payload };
}

const providerRefOf = (payment: PaymentResult) => payment.clientSecret!.replace(/_secret_.*$/, '');

/** A paid purchase of one order worth `amount` (home-garden: 10 %). */
async function paidOrder(amount: number, sellerId: string = randomUUID()) {
  const purchase = purchaseOf([{ sellerId, lines: [{ categorySlug: 'home-garden', amount }] }]);
  const payment = await openPayment(purchase);
  const paid = await payWithStripe(payment);
  return { purchase, payment, order: purchase.orders[0], ...paid };
}

async function orderStatus(purchase: TestPurchase, order: TestOrder, status: string, { wait = true } = {}) {
  const event: EventEnvelope<'OrderStatusChanged', EventPayloads['OrderStatusChanged']> = {
    id: randomUUID(),
    type: 'OrderStatusChanged',
    source: 'orders',
    occurredAt: new Date().toISOString(),
    payload: {
      orderId: order.orderId,
      purchaseId: purchase.purchaseId,
      buyerId: purchase.buyerId,
      sellerId: order.sellerId,
      previousStatus: null,
      status,
      at: new Date().toISOString(),
      items: [],
      total: { amount: order.lines.reduce((s, l) => s + l.amount, 0), currency: 'USD' },
    },
  };
  await bus.publish([event]);
  if (wait) await bus.settled();
  return event;
}

async function published(): Promise<void> {
  await subgraph.outbox.flush();
  await bus.settled();
}

/** Every delivery in flight finished within ms: no handler is failing and being delivered again. */
async function settledWithin(ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`events were still being delivered (a handler kept failing) after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([bus.settled(), late]);
  } finally {
    clearTimeout(timer);
  }
}

function eventsOf<T extends keyof EventPayloads>(type: T, match: (payload: EventPayloads[T]) => boolean): EventPayloads[T][] {
  return observed.filter((e) => e.type === type).map((e) => e.payload as EventPayloads[T]).filter(match);
}

const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> => subgraph.db.transaction((m) => m.query(sql, params));
const count = async (sql: string, params: unknown[] = []) => Number((await query<{ n: string }>(sql, params))[0].n);
const statusOf = async (paymentId: string) => (await query<{ status: string }>(`SELECT status FROM payments WHERE id = $1`, [paymentId]))[0].status;
const orderRow = async (orderId: string) =>
  (await query<{ status: string; transfer_ref: string | null; transfer_amount: number | null; released_net: number | null; refunded_amount: number }>(
    `SELECT status, transfer_ref, transfer_amount, released_net, refunded_amount FROM payment_orders WHERE order_id = $1`,
    [orderId],
  ))[0];
/** What the ledger holds for the seller from one order, in their available account. */
const sellerLedgerOf = async (sellerId: string, orderId: string) =>
  Number((await query<{ s: string | null }>(`SELECT sum(amount)::text AS s FROM ledger_entries WHERE account = $1 AND order_id = $2`, [`seller:${sellerId}`, orderId]))[0].s ?? 0);
const transfersOf = (purchase: TestPurchase) => fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId);
const transferRequestsOf = (purchase: TestPurchase) => fake.requestsTo('POST', '/v1/transfers').filter((r) => r.form.transfer_group === purchase.purchaseId);

// --- opening payments -----------------------------------------------------------------------------

describe('createPayment with Stripe', () => {
  test('opens one PaymentIntent with transfer_group = purchase id and an Idempotency-Key; a repeat opens none', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 3000 }] }, { lines: [{ categorySlug: 'books', amount: 999 }] }]);
    const payment = await openPayment(purchase);
    expect(payment).toMatchObject({ status: 'REQUIRES_PAYMENT', provider: 'stripe', amount: { amount: 3999, currency: 'USD' } });

    const created = fake.requestsTo('POST', '/v1/payment_intents').filter((r) => r.form.transfer_group === purchase.purchaseId);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      idempotencyKey: `payment:${purchase.purchaseId}`,
      form: { amount: '3999', currency: 'usd', transfer_group: purchase.purchaseId, 'metadata[purchase_id]': purchase.purchaseId },
    });
    const [intent] = fake.ofType('payment_intent', (pi) => pi.transfer_group === purchase.purchaseId);
    expect(payment.clientSecret).toBe(intent.client_secret);
    expect(intent.capture_method).toBe('automatic');

    expect((await openPayment(purchase)).id).toBe(payment.id);
    expect(fake.requestsTo('POST', '/v1/payment_intents').filter((r) => r.form.transfer_group === purchase.purchaseId)).toHaveLength(1);
  });

  test('concurrent calls for one purchase send one key: Stripe makes one PaymentIntent, payments keeps one payment', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 700 }] }]);
    const results = await Promise.all(Array.from({ length: 5 }, () => openPayment(purchase)));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    const requests = fake.requestsTo('POST', '/v1/payment_intents').filter((r) => r.form.transfer_group === purchase.purchaseId);
    expect(new Set(requests.map((r) => r.idempotencyKey))).toEqual(new Set([`payment:${purchase.purchaseId}`]));
    expect(fake.ofType('payment_intent', (pi) => pi.transfer_group === purchase.purchaseId)).toHaveLength(1);
    expect(await count(`SELECT count(*) AS n FROM payments WHERE purchase_id = $1`, [purchase.purchaseId])).toBe(1);
  });
});

describe('confirmTestPayment with Stripe', () => {
  test('is refused: buyers pay with Stripe.js', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 500 }] }]);
    const payment = await openPayment(purchase);
    const before = fake.requests.length;
    const result = await call(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/Stripe\.js/);
    expect(fake.requests.length).toBe(before);
    expect(await statusOf(payment.id)).toBe('REQUIRES_PAYMENT');
  });
});

// --- webhooks -------------------------------------------------------------------------------------

describe('Stripe webhooks', () => {
  test('payment_intent.succeeded pays the payment and emits PaymentSucceeded; the same event again changes nothing', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 2500 }] }, { lines: [{ categorySlug: 'books', amount: 1800 }] }]);
    const payment = await openPayment(purchase);
    const { payload, chargeId } = await payWithStripe(payment);

    expect(await query(`SELECT status, charge_ref FROM payments WHERE id = $1`, [payment.id])).toEqual([{ status: 'SUCCEEDED', charge_ref: chargeId }]);
    await eventually(async () => expect(eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1));
    const [succeeded] = eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id);
    expect([...succeeded.orderIds].sort()).toEqual(purchase.orders.map((o) => o.orderId).sort());
    expect(await count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1 AND kind = 'CHARGE'`, [payment.id])).toBe(1);

    // Stripe delivers at least once: the same event (signed anew, as a retry is) is acknowledged and ignored
    expect(await deliver(payload)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    // and a different event about the same success changes nothing either
    expect((await deliver(stripeEvent('payment_intent.succeeded', JSON.parse(payload).data.object))).status).toBe(200);
    await published();
    expect(eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    expect(await count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1`, [payment.id])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM stripe_events WHERE event_id = $1`, [JSON.parse(payload).id])).toBe(1);
  });

  test('a webhook that is not signed with the endpoint’s secret is 400 and changes nothing', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1200 }] }]);
    const payment = await openPayment(purchase);
    const intent = fake.succeed(providerRefOf(payment));
    const payload = stripeEvent('payment_intent.succeeded', intent);
    const signed = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });

    expect((await deliver(payload, { secret: `whsec_${randomBytes(16).toString('hex')}` })).status).toBe(400);
    expect((await deliver(payload, { signature: null })).status).toBe(400);
    expect((await deliver(payload, { signature: 't=1,v1=00' })).status).toBe(400);
    const tampered = payload.replace(`"amount_received":${intent.amount_received}`, '"amount_received":1');
    expect(tampered).not.toBe(payload);
    expect((await deliver(tampered, { signature: signed })).status).toBe(400);
    expect((await fetch(webhookUrl())).status).toBe(405);

    await published();
    expect(await statusOf(payment.id)).toBe('REQUIRES_PAYMENT');
    expect(eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(0);
    expect(await count(`SELECT count(*) AS n FROM stripe_events WHERE event_id = $1`, [JSON.parse(payload).id])).toBe(0);
    // the genuine delivery still goes through
    expect((await deliver(payload, { signature: signed })).status).toBe(200);
    expect(await statusOf(payment.id)).toBe('SUCCEEDED');
  });

  test('payment_intent.payment_failed leaves the payment waiting for payment', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 800 }] }]);
    const payment = await openPayment(purchase);
    const intent = {
      ...fake.objects.get(providerRefOf(payment))!,
      last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
    };
    expect((await deliver(stripeEvent('payment_intent.payment_failed', intent))).status).toBe(200);
    expect(await statusOf(payment.id)).toBe('REQUIRES_PAYMENT');
  });

  test('events of unknown PaymentIntents and of other types are acknowledged and change nothing', async () => {
    const before = await count(`SELECT count(*) AS n FROM ledger_transactions`);
    const stranger = { id: 'pi_unknown', object: 'payment_intent', amount: 100, amount_received: 100, currency: 'usd', latest_charge: 'ch_unknown' };
    expect((await deliver(stripeEvent('payment_intent.succeeded', stranger))).status).toBe(200);
    expect((await deliver(stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }))).status).toBe(200);
    expect(await count(`SELECT count(*) AS n FROM ledger_transactions`)).toBe(before);
  });
});

// --- escrow: transfers to sellers -----------------------------------------------------------------

describe('release to the seller', () => {
  test('DELIVERED transfers the net to the seller’s connected account, with transfer_group, once', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller1');
    const { purchase, order, chargeId } = await paidOrder(1000, sellerId);
    const delivered = await orderStatus(purchase, order, 'DELIVERED');

    const transfers = fake.requestsTo('POST', '/v1/transfers').filter((r) => r.form.transfer_group === purchase.purchaseId);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({
      idempotencyKey: `transfer:${order.orderId}`,
      form: { amount: '900', currency: 'usd', destination: 'acct_seller1', transfer_group: purchase.purchaseId, source_transaction: chargeId },
    });
    const [transfer] = fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 900, transfer_ref: transfer.id });

    await bus.publish([delivered]);
    await orderStatus(purchase, order, 'DELIVERED');
    expect(fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId)).toHaveLength(1);
  });

  test('a seller without a connected account: the release completes, and the transfer sweep pays them once, after they link one', async () => {
    const sellerId = randomUUID();
    const { purchase, order, chargeId } = await paidOrder(2000, sellerId);
    await orderStatus(purchase, order, 'DELIVERED', { wait: false });
    // the handler finishes: the bus has nothing to deliver again
    await settledWithin(2_000);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 1800, transfer_ref: null, transfer_amount: null });
    expect(await background.escrow.retryTransfers(0)).toBe(0);
    expect(transferRequestsOf(purchase)).toHaveLength(0);

    await sellerAccounts.link(sellerId, 'acct_late');
    expect(await background.escrow.retryTransfers(0)).toBe(1);
    expect(transferRequestsOf(purchase)).toEqual([
      expect.objectContaining({
        idempotencyKey: `transfer:${order.orderId}`,
        form: expect.objectContaining({ amount: '1800', destination: 'acct_late', source_transaction: chargeId }),
      }),
    ]);
    const [transfer] = transfersOf(purchase);
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_ref: transfer.id, transfer_amount: 1800 });

    // swept again: nothing is sent
    expect(await background.escrow.retryTransfers(0)).toBe(0);
    expect(transferRequestsOf(purchase)).toHaveLength(1);
    expect(transfersOf(purchase)).toHaveLength(1);
  });

  test('a refund between the release and the transfer comes off the transfer: the seller is paid what the ledger holds for them', async () => {
    const sellerId = randomUUID();
    const { purchase, order, intentId } = await paidOrder(1000, sellerId);
    await orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await eventually(async () => expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 900, transfer_ref: null }));

    // fee share round(10.5) = 11: 94 of it is the seller's, out of their available balance; no transfer to reverse yet
    const first = await ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 105 });
    expect(first.refundOrder.status).toBe('SUCCEEDED');
    expect(fake.requests.filter((r) => r.idempotencyKey === `refund:${first.refundOrder.id}:reversal`)).toHaveLength(0);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(806);

    await sellerAccounts.link(sellerId, 'acct_afterRefund');
    expect(await background.escrow.retryTransfers(0)).toBe(1);
    const [transfer] = transfersOf(purchase);
    expect(transfersOf(purchase)).toHaveLength(1);
    expect(transfer).toMatchObject({ amount: 900 - 94, destination: 'acct_afterRefund' });
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_ref: transfer.id, transfer_amount: 806, refunded_amount: 105 });

    // the rest of the order: the seller gives back all they were sent (806), the platform the rest of its fee (89)
    const rest = await ok<{ refundOrder: { id: string; status: string; amount: { amount: number } } }>(sellerViewer(sellerId), REFUND, {
      orderId: order.orderId,
    });
    expect(rest.refundOrder).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 895 } });
    expect(fake.objects.get(transfer.id)).toMatchObject({ amount_reversed: 806 });
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId).map((r) => r.amount)).toEqual([105, 895]);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(0);
    expect(await subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  test('while a transfer’s outcome is unknown the order’s refunds wait for it, then come off it', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_slow');
    const { purchase, order } = await paidOrder(1000, sellerId);
    const lost = fake.loseNextAnswers('POST', /^\/v1\/transfers$/, Infinity);
    await orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await eventually(async () => expect(transfersOf(purchase)).toHaveLength(1));
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_amount: 900, transfer_ref: null });

    // made at Stripe, unconfirmed here: a refund could neither reverse it nor shrink it
    const waiting = await call(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 100 });
    expect(codes(waiting)).toEqual(['CONFLICT']);
    expect(await count(`SELECT count(*) AS n FROM refunds WHERE order_id = $1`, [order.orderId])).toBe(0);

    lost.stop();
    await eventually(async () => expect((await orderRow(order.orderId)).transfer_ref).toMatch(/^tr_/));
    await bus.settled();
    const [transfer] = transfersOf(purchase);
    expect(transfersOf(purchase)).toHaveLength(1);
    expect(new Set(transferRequestsOf(purchase).map((r) => r.idempotencyKey))).toEqual(new Set([`transfer:${order.orderId}`]));
    const { refundOrder } = await ok<{ refundOrder: { status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 100 });
    expect(refundOrder.status).toBe('SUCCEEDED');
    expect(fake.objects.get(transfer.id)).toMatchObject({ amount: 900, amount_reversed: 90 });
  });
});

// --- refunds --------------------------------------------------------------------------------------

describe('refunds with Stripe', () => {
  test('before release: a Refund on the PaymentIntent, keyed by the refund', async () => {
    const sellerId = randomUUID();
    const { order, intentId } = await paidOrder(1000, sellerId);
    const { refundOrder } = await ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 300 });
    expect(refundOrder.status).toBe('SUCCEEDED');

    const refunds = fake.requestsTo('POST', '/v1/refunds').filter((r) => r.form.payment_intent === intentId);
    expect(refunds).toEqual([expect.objectContaining({ idempotencyKey: `refund:${refundOrder.id}`, form: { payment_intent: intentId, amount: '300' } })]);
    expect(fake.requestsTo('POST', /\/reversals$/).filter((r) => r.idempotencyKey?.startsWith(`refund:${refundOrder.id}`))).toHaveLength(0);
    const [{ provider_ref }] = await query<{ provider_ref: string }>(`SELECT provider_ref FROM refunds WHERE id = $1`, [refundOrder.id]);
    expect(provider_ref).toBe(fake.ofType('refund', (r) => r.payment_intent === intentId)[0].id);
  });

  test('after release: the seller’s share is reversed from their transfer, then the buyer refunded; charge.refunded changes nothing', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller2');
    const { purchase, order, intentId, chargeId } = await paidOrder(1000, sellerId);
    await orderStatus(purchase, order, 'DELIVERED');
    const { transfer_ref: transferId } = await orderRow(order.orderId);
    expect(transferId).toMatch(/^tr_/);

    const { refundOrder } = await ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 105 });
    expect(refundOrder.status).toBe('SUCCEEDED');
    const calls = fake.requests.filter((r) => r.idempotencyKey?.startsWith(`refund:${refundOrder.id}`));
    // fee share round(10.5) = 11: the seller gives back 94
    expect(calls.map((r) => [r.path, r.idempotencyKey, r.form.amount])).toEqual([
      [`/v1/transfers/${transferId}/reversals`, `refund:${refundOrder.id}:reversal`, '94'],
      ['/v1/refunds', `refund:${refundOrder.id}`, '105'],
    ]);
    expect(fake.objects.get(transferId!)).toMatchObject({ amount_reversed: 94 });

    await published();
    const ledgerBefore = await count(`SELECT count(*) AS n FROM ledger_transactions`);
    const charge = { ...fake.objects.get(chargeId)!, refunds: undefined };
    expect((await deliver(stripeEvent('charge.refunded', charge))).status).toBe(200);
    expect(await count(`SELECT count(*) AS n FROM ledger_transactions`)).toBe(ledgerBefore);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 105 });
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId)).toHaveLength(1);
  });

  test('a refund Stripe refuses after the reversal is FAILED, and the seller gets their share back', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller3');
    const { purchase, order } = await paidOrder(1000, sellerId);
    await orderStatus(purchase, order, 'DELIVERED');
    fake.failNext('POST', /^\/v1\/refunds$/, 400, 'charge_disputed', 'The charge is disputed');
    const { refundOrder } = await ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 200 });
    expect(refundOrder.status).toBe('FAILED');
    const restored = fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId && (t.metadata as Record<string, string>).restores !== undefined);
    expect(restored).toEqual([expect.objectContaining({ amount: 180, destination: 'acct_seller3' })]);
    expect(fake.requestsTo('POST', '/v1/transfers').find((r) => r.form['metadata[restores]'])?.idempotencyKey).toBe(`refund:${refundOrder.id}:restore`);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 0 });
  });

  test('a refund whose answer is lost (a 500) stays PENDING; the retry, with the same keys, finds it made: SUCCEEDED, one refund at Stripe', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller4');
    const { purchase, order, intentId } = await paidOrder(1000, sellerId);
    await orderStatus(purchase, order, 'DELIVERED');
    const { transfer_ref: transferId } = await orderRow(order.orderId);
    fake.loseNextAnswers('POST', /^\/v1\/refunds$/);
    const { refundOrder } = await ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 200 });
    // Stripe made it: not FAILED, and the seller's share stays reversed
    expect(refundOrder.status).toBe('PENDING');
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId)).toHaveLength(1);
    expect(fake.objects.get(transferId!)).toMatchObject({ amount_reversed: 180 });
    expect(fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId)).toHaveLength(1);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 0 });

    // the stale-refund retry, as the subgraph runs it in the background
    expect(await background.refunds.retryStale(0)).toBe(1);
    const [stored] = await query<{ status: string; provider_ref: string }>(`SELECT status, provider_ref FROM refunds WHERE id = $1`, [refundOrder.id]);
    const atStripe = fake.ofType('refund', (r) => r.payment_intent === intentId);
    expect(atStripe).toHaveLength(1);
    expect(stored).toEqual({ status: 'SUCCEEDED', provider_ref: atStripe[0].id });
    expect(fake.requests.filter((r) => r.idempotencyKey?.startsWith(`refund:${refundOrder.id}`)).map((r) => [r.path, r.idempotencyKey, r.replayed])).toEqual([
      [`/v1/transfers/${transferId}/reversals`, `refund:${refundOrder.id}:reversal`, false],
      ['/v1/refunds', `refund:${refundOrder.id}`, false],
      [`/v1/transfers/${transferId}/reversals`, `refund:${refundOrder.id}:reversal`, true],
      ['/v1/refunds', `refund:${refundOrder.id}`, true],
    ]);
    expect(fake.objects.get(transferId!)).toMatchObject({ amount_reversed: 180 });
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 200 });
    expect(await count(`SELECT count(*) AS n FROM ledger_transactions WHERE order_id = $1 AND kind = 'REFUND'`, [order.orderId])).toBe(1);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(900 - 180);
    expect(await subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });
});

// --- cancellations --------------------------------------------------------------------------------

describe('cancellations with Stripe', () => {
  test('before payment the PaymentIntent’s amount follows, and is cancelled with the last order; a late success is given back', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1000 }] }, { lines: [{ categorySlug: 'books', amount: 500 }] }]);
    const payment = await openPayment(purchase);
    const intentId = providerRefOf(payment);
    const [first, second] = purchase.orders;

    await orderStatus(purchase, second, 'CANCELLED');
    expect(fake.requestsTo('POST', `/v1/payment_intents/${intentId}`)).toEqual([
      expect.objectContaining({ idempotencyKey: `amount:${payment.id}:1000`, form: { amount: '1000' } }),
    ]);
    expect(fake.objects.get(intentId)).toMatchObject({ amount: 1000 });

    await orderStatus(purchase, first, 'CANCELLED');
    expect(fake.requestsTo('POST', `/v1/payment_intents/${intentId}/cancel`)).toHaveLength(1);
    expect(fake.objects.get(intentId)).toMatchObject({ status: 'canceled' });
    expect(await statusOf(payment.id)).toBe('CANCELLED');

    // the buyer's confirmation crossed the cancellation at Stripe: the charge goes back and the event is settled
    Object.assign(fake.objects.get(intentId)!, { status: 'requires_payment_method' });
    const intent = fake.succeed(intentId);
    expect((await deliver(stripeEvent('payment_intent.succeeded', intent))).status).toBe(200);
    expect(fake.requestsTo('POST', '/v1/refunds').filter((r) => r.form.payment_intent === intentId)).toEqual([
      expect.objectContaining({ idempotencyKey: `void:${intent.latest_charge as string}` }),
    ]);
    expect(await statusOf(payment.id)).toBe('CANCELLED');
  });
});

// --- the ledger, after everything above --------------------------------------------------------------

describe('after everything above', () => {
  test('every POST the adapter sent carried an Idempotency-Key', () => {
    const posts = fake.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThan(10);
    expect(posts.filter((r) => !r.idempotencyKey)).toEqual([]);
  });

  test('every ledger transaction balances', async () => {
    expect(await subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });
});
