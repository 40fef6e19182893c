import { randomBytes, randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { Refunds } from '../refunds';
import { PayoutAccounts } from '../payout-accounts';
import { PayoutSchedules } from '../payout-schedules';
import { SellerTransfers } from '../transfers';
import { createStripeClient } from '../stripe-config';
import { StripePaymentProvider } from '../stripe-provider';
import type { FakeStripe } from './fake-stripe';
import { buyerViewer, CONFIRM, purchaseOf, REFUND, sellerViewer, type PaymentsHarness, type TestPurchase } from './harness';
import { providerRefOf, startStripePayments, stripeEvent, type StripeHarness, type StripePayment } from './stripe-harness';

/** Stripe around payments: stripe-harness.ts. */

let stripe: StripeHarness;
let h: PaymentsHarness<StripePayment>;
let fake: FakeStripe;
let deliver: StripeHarness['deliver'];
let sellerAccounts: PayoutAccounts;
/** What the subgraph runs in the background (the stale-refund retry, the transfer sweep), run by the tests when they choose. */
let background: { refunds: Refunds; transfers: SellerTransfers };

beforeAll(async () => {
  stripe = await startStripePayments();
  ({ h, fake, deliver } = stripe);
  sellerAccounts = new PayoutAccounts(h.subgraph.db);
  const client = createStripeClient({ secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret, host: '127.0.0.1', port: fake.port, protocol: 'http' });
  const adapter = new StripePaymentProvider(client, (sellerId) => sellerAccounts.destinationOf(sellerId), h.logger);
  const wake = () => h.subgraph.outbox.wake();
  const refunds = new Refunds(h.subgraph.db, adapter, wake, h.logger);
  background = { refunds, transfers: new SellerTransfers(h.subgraph.db, adapter, new PayoutSchedules(h.subgraph.db), (sellerId) => sellerAccounts.canBePaid(sellerId), h.logger) };
});

afterAll(() => stripe?.stop());

/** Every delivery in flight finished within ms: no handler is failing and being delivered again. */
async function settledWithin(ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`events were still being delivered (a handler kept failing) after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([h.bus.settled(), late]);
  } finally {
    clearTimeout(timer);
  }
}

const statusOf = async (paymentId: string) => (await h.query<{ status: string }>(`SELECT status FROM payments WHERE id = $1`, [paymentId]))[0].status;
const orderRow = async (orderId: string) =>
  (await h.query<{ status: string; transfer_ref: string | null; transfer_amount: number | null; released_net: number | null; refunded_amount: number }>(
    `SELECT status, transfer_ref, transfer_amount, released_net, refunded_amount FROM payment_orders WHERE order_id = $1`,
    [orderId],
  ))[0];
/** The idempotency key of the transfer that pays the order: the transfer's own. */
const transferKeyOf = async (orderId: string) =>
  (await h.query<{ idempotency_key: string }>(`SELECT t.idempotency_key FROM transfers t JOIN payment_orders o ON o.transfer_id = t.id WHERE o.order_id = $1`, [orderId]))[0]
    ?.idempotency_key;
/** What the ledger holds for the seller from one order, in their available account (or another of theirs: paid-out). */
const sellerLedgerOf = async (sellerId: string, orderId: string, account = 'seller') =>
  Number((await h.query<{ s: string | null }>(`SELECT sum(amount)::text AS s FROM ledger_entries WHERE account = $1 AND order_id = $2`, [`${account}:${sellerId}`, orderId]))[0].s ?? 0);
const transfersOf = (purchase: TestPurchase) => fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId);
const transferRequestsOf = (purchase: TestPurchase) => fake.requestsTo('POST', '/v1/transfers').filter((r) => r.form.transfer_group === purchase.purchaseId);

// --- opening payments -----------------------------------------------------------------------------

describe('createPayment with Stripe', () => {
  test('opens one PaymentIntent with transfer_group = purchase id and an Idempotency-Key; a repeat opens none', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 3000 }] }, { lines: [{ categorySlug: 'books', amount: 999 }] }]);
    const payment = await h.openPayment(purchase);
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

    expect((await h.openPayment(purchase)).id).toBe(payment.id);
    expect(fake.requestsTo('POST', '/v1/payment_intents').filter((r) => r.form.transfer_group === purchase.purchaseId)).toHaveLength(1);
  });

  test('concurrent calls for one purchase send one key: Stripe makes one PaymentIntent, payments keeps one payment', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 700 }] }]);
    const results = await Promise.all(Array.from({ length: 5 }, () => h.openPayment(purchase)));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    const requests = fake.requestsTo('POST', '/v1/payment_intents').filter((r) => r.form.transfer_group === purchase.purchaseId);
    expect(new Set(requests.map((r) => r.idempotencyKey))).toEqual(new Set([`payment:${purchase.purchaseId}`]));
    expect(fake.ofType('payment_intent', (pi) => pi.transfer_group === purchase.purchaseId)).toHaveLength(1);
    expect(await h.count(`SELECT count(*) AS n FROM payments WHERE purchase_id = $1`, [purchase.purchaseId])).toBe(1);
  });
});

describe('confirmTestPayment with Stripe', () => {
  test('is refused: buyers pay with Stripe.js', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 500 }] }]);
    const payment = await h.openPayment(purchase);
    const before = fake.requests.length;
    const result = await h.call(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' });
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
    const payment = await h.openPayment(purchase);
    const { payload, chargeId } = await stripe.pay(payment);

    expect(await h.query(`SELECT status, charge_ref FROM payments WHERE id = $1`, [payment.id])).toEqual([{ status: 'SUCCEEDED', charge_ref: chargeId }]);
    await eventually(async () => expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1));
    const [succeeded] = h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id);
    expect([...succeeded.orderIds].sort()).toEqual(purchase.orders.map((o) => o.orderId).sort());
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1 AND kind = 'CHARGE'`, [payment.id])).toBe(1);

    // Stripe delivers at least once: the same event (signed anew, as a retry is) is acknowledged and ignored
    expect(await deliver(payload)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    // and a different event about the same success changes nothing either
    expect((await deliver(stripeEvent('payment_intent.succeeded', JSON.parse(payload).data.object))).status).toBe(200);
    await h.published();
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1`, [payment.id])).toBe(1);
    expect(await h.count(`SELECT count(*) AS n FROM stripe_events WHERE event_id = $1`, [JSON.parse(payload).id])).toBe(1);
  });

  test('a webhook that is not signed with the endpoint’s secret is 400 and changes nothing', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1200 }] }]);
    const payment = await h.openPayment(purchase);
    const intent = fake.succeed(providerRefOf(payment));
    const payload = stripeEvent('payment_intent.succeeded', intent);
    const signed = stripe.sign(payload);

    expect((await deliver(payload, { secret: `whsec_${randomBytes(16).toString('hex')}` })).status).toBe(400);
    expect((await deliver(payload, { signature: null })).status).toBe(400);
    expect((await deliver(payload, { signature: 't=1,v1=00' })).status).toBe(400);
    const tampered = payload.replace(`"amount_received":${intent.amount_received}`, '"amount_received":1');
    expect(tampered).not.toBe(payload);
    expect((await deliver(tampered, { signature: signed })).status).toBe(400);
    expect((await fetch(stripe.webhookUrl)).status).toBe(405);

    await h.published();
    expect(await statusOf(payment.id)).toBe('REQUIRES_PAYMENT');
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(0);
    expect(await h.count(`SELECT count(*) AS n FROM stripe_events WHERE event_id = $1`, [JSON.parse(payload).id])).toBe(0);
    // the genuine delivery still goes through
    expect((await deliver(payload, { signature: signed })).status).toBe(200);
    expect(await statusOf(payment.id)).toBe('SUCCEEDED');
  });

  test('payment_intent.payment_failed leaves the payment waiting for payment', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 800 }] }]);
    const payment = await h.openPayment(purchase);
    const intent = {
      ...fake.objects.get(providerRefOf(payment))!,
      last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
    };
    expect((await deliver(stripeEvent('payment_intent.payment_failed', intent))).status).toBe(200);
    expect(await statusOf(payment.id)).toBe('REQUIRES_PAYMENT');
  });

  test('events of unknown PaymentIntents and of other types are acknowledged and change nothing', async () => {
    const before = await h.count(`SELECT count(*) AS n FROM ledger_transactions`);
    const stranger = { id: 'pi_unknown', object: 'payment_intent', amount: 100, amount_received: 100, currency: 'usd', latest_charge: 'ch_unknown' };
    expect((await deliver(stripeEvent('payment_intent.succeeded', stranger))).status).toBe(200);
    expect((await deliver(stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }))).status).toBe(200);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions`)).toBe(before);
  });
});

// --- escrow: transfers to sellers -----------------------------------------------------------------

describe('release to the seller', () => {
  test('DELIVERED transfers the net to the seller’s connected account, with transfer_group, once', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller1');
    const { purchase, order, chargeId } = await h.paidOrder(1000, sellerId);
    const delivered = await h.orderStatus(purchase, order, 'DELIVERED');

    const transfers = fake.requestsTo('POST', '/v1/transfers').filter((r) => r.form.transfer_group === purchase.purchaseId);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({
      idempotencyKey: await transferKeyOf(order.orderId),
      form: { amount: '900', currency: 'usd', destination: 'acct_seller1', transfer_group: purchase.purchaseId, source_transaction: chargeId },
    });
    const [transfer] = fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 900, transfer_ref: transfer.id });

    await h.bus.publish([delivered]);
    await h.orderStatus(purchase, order, 'DELIVERED');
    expect(fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId)).toHaveLength(1);
  });

  test('a seller without a connected account: the release completes, and the transfer sweep pays them once, after they link one', async () => {
    const sellerId = randomUUID();
    const { purchase, order, chargeId } = await h.paidOrder(2000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
    // the handler finishes: the bus has nothing to deliver again
    await settledWithin(2_000);
    expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 1800, transfer_ref: null, transfer_amount: null });
    expect(await background.transfers.retryTransfers(0)).toBe(0);
    expect(transferRequestsOf(purchase)).toHaveLength(0);

    await sellerAccounts.link(sellerId, 'acct_late');
    expect(await background.transfers.retryTransfers(0)).toBe(1);
    expect(transferRequestsOf(purchase)).toEqual([
      expect.objectContaining({
        idempotencyKey: await transferKeyOf(order.orderId),
        form: expect.objectContaining({ amount: '1800', destination: 'acct_late', source_transaction: chargeId }),
      }),
    ]);
    const [transfer] = transfersOf(purchase);
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_ref: transfer.id, transfer_amount: 1800 });

    // swept again: nothing is sent
    expect(await background.transfers.retryTransfers(0)).toBe(0);
    expect(transferRequestsOf(purchase)).toHaveLength(1);
    expect(transfersOf(purchase)).toHaveLength(1);
  });

  test('a refund between the release and the transfer comes off the transfer: the seller is paid what the ledger holds for them', async () => {
    const sellerId = randomUUID();
    const { purchase, order, intentId } = await h.paidOrder(1000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await eventually(async () => expect(await orderRow(order.orderId)).toMatchObject({ status: 'AVAILABLE', released_net: 900, transfer_ref: null }));

    // fee share round(10.5) = 11: 94 of it is the seller's, out of their available balance; no transfer to reverse yet
    const first = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 105 });
    expect(first.refundOrder.status).toBe('SUCCEEDED');
    expect(fake.requests.filter((r) => r.idempotencyKey === `refund:${first.refundOrder.id}:reversal`)).toHaveLength(0);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(806);

    await sellerAccounts.link(sellerId, 'acct_afterRefund');
    expect(await background.transfers.retryTransfers(0)).toBe(1);
    const [transfer] = transfersOf(purchase);
    expect(transfersOf(purchase)).toHaveLength(1);
    expect(transfer).toMatchObject({ amount: 900 - 94, destination: 'acct_afterRefund' });
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_ref: transfer.id, transfer_amount: 806, refunded_amount: 105 });

    // the rest of the order: the seller gives back all they were sent (806), the platform the rest of its fee (89)
    const rest = await h.ok<{ refundOrder: { id: string; status: string; amount: { amount: number } } }>(sellerViewer(sellerId), REFUND, {
      orderId: order.orderId,
    });
    expect(rest.refundOrder).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 895 } });
    expect(fake.objects.get(transfer.id)).toMatchObject({ amount_reversed: 806 });
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId).map((r) => r.amount)).toEqual([105, 895]);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(0);
    expect(await sellerLedgerOf(sellerId, order.orderId, 'paid-out')).toBe(0);
    expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });

  test('a DAILY seller’s day is one transfer for several charges: no source_transaction, grouped by the transfer', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_daily');
    await h.query(`INSERT INTO payout_schedules (seller_id, schedule) VALUES ($1, 'DAILY')`, [sellerId]);
    const first = await h.paidOrder(1000, sellerId);
    const second = await h.paidOrder(2000, sellerId);
    await h.orderStatus(first.purchase, first.order, 'DELIVERED');
    await h.orderStatus(second.purchase, second.order, 'DELIVERED');
    expect(await background.transfers.retryTransfers(0, sellerId)).toBe(0);

    expect(await background.transfers.retryTransfers(0, sellerId, new Date(Date.now() + 86_400_000))).toBe(1);
    const [{ id, idempotency_key: key }] = await h.query<{ id: string; idempotency_key: string }>(`SELECT id, idempotency_key FROM transfers WHERE seller_id = $1`, [sellerId]);
    const sent = fake.requestsTo('POST', '/v1/transfers').filter((r) => r.idempotencyKey === key);
    expect(sent).toEqual([expect.objectContaining({ form: expect.objectContaining({ amount: '2700', destination: 'acct_daily', transfer_group: `payout:${id}` }) })]);
    expect(sent[0].form.source_transaction).toBeUndefined();
    // a refund of one of its orders reverses that order's share only
    const { refundOrder } = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: first.order.orderId });
    expect(refundOrder.status).toBe('SUCCEEDED');
    const transferRef = (await orderRow(first.order.orderId)).transfer_ref!;
    expect(fake.objects.get(transferRef)).toMatchObject({ amount: 2700, amount_reversed: 900 });
    expect(await sellerLedgerOf(sellerId, second.order.orderId, 'paid-out')).toBe(1800);
  });

  test('while a transfer’s outcome is unknown the order’s refunds wait for it, then come off it', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_slow');
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    const lost = fake.loseNextAnswers('POST', /^\/v1\/transfers$/, Infinity);
    await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await eventually(async () => expect(transfersOf(purchase)).toHaveLength(1));
    expect(await orderRow(order.orderId)).toMatchObject({ transfer_amount: 900, transfer_ref: null });

    // made at Stripe, unconfirmed here: a refund could neither reverse it nor shrink it
    const waiting = await h.call(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 100 });
    expect(codes(waiting)).toEqual(['CONFLICT']);
    expect(await h.count(`SELECT count(*) AS n FROM refunds WHERE order_id = $1`, [order.orderId])).toBe(0);

    lost.stop();
    // the sweep asks again with the same key: Stripe answers with the transfer it made
    expect(await background.transfers.retryTransfers(0, sellerId)).toBe(1);
    expect((await orderRow(order.orderId)).transfer_ref).toMatch(/^tr_/);
    const [transfer] = transfersOf(purchase);
    expect(transfersOf(purchase)).toHaveLength(1);
    expect(new Set(transferRequestsOf(purchase).map((r) => r.idempotencyKey))).toEqual(new Set([await transferKeyOf(order.orderId)]));
    const { refundOrder } = await h.ok<{ refundOrder: { status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 100 });
    expect(refundOrder.status).toBe('SUCCEEDED');
    expect(fake.objects.get(transfer.id)).toMatchObject({ amount: 900, amount_reversed: 90 });
  });
});

// --- refunds --------------------------------------------------------------------------------------

describe('refunds with Stripe', () => {
  test('before release: a Refund on the PaymentIntent, keyed by the refund', async () => {
    const sellerId = randomUUID();
    const { order, intentId } = await h.paidOrder(1000, sellerId);
    const { refundOrder } = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 300 });
    expect(refundOrder.status).toBe('SUCCEEDED');

    const refunds = fake.requestsTo('POST', '/v1/refunds').filter((r) => r.form.payment_intent === intentId);
    expect(refunds).toEqual([expect.objectContaining({ idempotencyKey: `refund:${refundOrder.id}`, form: { payment_intent: intentId, amount: '300', 'metadata[refund_id]': refundOrder.id } })]);
    expect(fake.requestsTo('POST', /\/reversals$/).filter((r) => r.idempotencyKey?.startsWith(`refund:${refundOrder.id}`))).toHaveLength(0);
    const [{ provider_ref }] = await h.query<{ provider_ref: string }>(`SELECT provider_ref FROM refunds WHERE id = $1`, [refundOrder.id]);
    expect(provider_ref).toBe(fake.ofType('refund', (r) => r.payment_intent === intentId)[0].id);
  });

  test('after release: the seller’s share is reversed from their transfer, then the buyer refunded; charge.refunded changes nothing', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller2');
    const { purchase, order, intentId, chargeId } = await h.paidOrder(1000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED');
    const { transfer_ref: transferId } = await orderRow(order.orderId);
    expect(transferId).toMatch(/^tr_/);

    const { refundOrder } = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 105 });
    expect(refundOrder.status).toBe('SUCCEEDED');
    const calls = fake.requests.filter((r) => r.idempotencyKey?.startsWith(`refund:${refundOrder.id}`));
    // fee share round(10.5) = 11: the seller gives back 94
    expect(calls.map((r) => [r.path, r.idempotencyKey, r.form.amount])).toEqual([
      [`/v1/transfers/${transferId}/reversals`, `refund:${refundOrder.id}:reversal`, '94'],
      ['/v1/refunds', `refund:${refundOrder.id}`, '105'],
    ]);
    expect(fake.objects.get(transferId!)).toMatchObject({ amount_reversed: 94 });

    await h.published();
    const ledgerBefore = await h.count(`SELECT count(*) AS n FROM ledger_transactions`);
    const charge = { ...fake.objects.get(chargeId)!, refunds: undefined };
    expect((await deliver(stripeEvent('charge.refunded', charge))).status).toBe(200);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions`)).toBe(ledgerBefore);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 105 });
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId)).toHaveLength(1);
  });

  test('a refund Stripe refuses after the reversal is FAILED, and the seller gets their share back', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller3');
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED');
    fake.failNext('POST', /^\/v1\/refunds$/, 400, 'charge_disputed', 'The charge is disputed');
    const { refundOrder } = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 200 });
    expect(refundOrder.status).toBe('FAILED');
    const restored = fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId && (t.metadata as Record<string, string>).restores !== undefined);
    expect(restored).toEqual([expect.objectContaining({ amount: 180, destination: 'acct_seller3' })]);
    expect(fake.requestsTo('POST', '/v1/transfers').find((r) => r.form['metadata[restores]'])?.idempotencyKey).toBe(`refund:${refundOrder.id}:restore`);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 0 });
  });

  test('a refund whose answer is lost (a 500) stays PENDING; the retry, with the same keys, finds it made: SUCCEEDED, one refund at Stripe', async () => {
    const sellerId = randomUUID();
    await sellerAccounts.link(sellerId, 'acct_seller4');
    const { purchase, order, intentId } = await h.paidOrder(1000, sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED');
    const { transfer_ref: transferId } = await orderRow(order.orderId);
    fake.loseNextAnswers('POST', /^\/v1\/refunds$/);
    const { refundOrder } = await h.ok<{ refundOrder: { id: string; status: string } }>(sellerViewer(sellerId), REFUND, { orderId: order.orderId, amount: 200 });
    // Stripe made it: not FAILED, and the seller's share stays reversed
    expect(refundOrder.status).toBe('PENDING');
    expect(fake.ofType('refund', (r) => r.payment_intent === intentId)).toHaveLength(1);
    expect(fake.objects.get(transferId!)).toMatchObject({ amount_reversed: 180 });
    expect(fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId)).toHaveLength(1);
    expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 0 });

    // the stale-refund retry, as the subgraph runs it in the background
    expect(await background.refunds.retryStale(0)).toBe(1);
    const [stored] = await h.query<{ status: string; provider_ref: string }>(`SELECT status, provider_ref FROM refunds WHERE id = $1`, [refundOrder.id]);
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
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE order_id = $1 AND kind = 'REFUND'`, [order.orderId])).toBe(1);
    // transferred, then 180 of it reversed: the rest is paid out, none left available
    expect(await sellerLedgerOf(sellerId, order.orderId, 'paid-out')).toBe(900 - 180);
    expect(await sellerLedgerOf(sellerId, order.orderId)).toBe(0);
    expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });
});

// --- cancellations --------------------------------------------------------------------------------

describe('cancellations with Stripe', () => {
  test('before payment the PaymentIntent’s amount follows, and is cancelled with the last order; a late success is given back', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1000 }] }, { lines: [{ categorySlug: 'books', amount: 500 }] }]);
    const payment = await h.openPayment(purchase);
    const intentId = providerRefOf(payment);
    const [first, second] = purchase.orders;

    await h.orderStatus(purchase, second, 'CANCELLED');
    expect(fake.requestsTo('POST', `/v1/payment_intents/${intentId}`)).toEqual([
      expect.objectContaining({ idempotencyKey: `amount:${payment.id}:1000`, form: { amount: '1000' } }),
    ]);
    expect(fake.objects.get(intentId)).toMatchObject({ amount: 1000 });

    await h.orderStatus(purchase, first, 'CANCELLED');
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
    expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
  });
});
