import { randomBytes, randomUUID } from 'node:crypto';
import { accounts, unbalancedTransactions } from '../ledger';
import { purchaseOf, type PaymentsHarness } from './harness';
import { startStripePayments, stripeEvent, type StripeHarness, type StripePayment } from './stripe-harness';

/**
 * Chargebacks as Stripe reports them, in signed webhooks from the local Stripe-speaking server: created holds the
 * disputed amount in escrow (delivery releases nothing), closed won releases it, closed lost takes it out of the
 * platform in the ledger (from escrow, or from what the seller has not been paid yet); duplicates and a closed that
 * arrives before its created change nothing twice. The ledger balances after each test.
 */
let stripe: StripeHarness;
let h: PaymentsHarness<StripePayment>;

beforeAll(async () => {
  stripe = await startStripePayments();
  h = stripe.h;
});
afterAll(() => stripe?.stop());
afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

/** Stripe's Dispute object. */
function dispute(paid: { intentId: string; chargeId: string }, amount: number, status: string, id = `dp_${randomBytes(8).toString('hex')}`) {
  return { id, object: 'dispute', amount, currency: 'usd', charge: paid.chargeId, payment_intent: paid.intentId, reason: 'product_not_received', status, created: Math.floor(Date.now() / 1000) };
}

async function delivered(payload: string): Promise<void> {
  const { status } = await stripe.deliver(payload);
  expect(status).toBe(200);
  await h.published();
}

const ledgerOf = async (orderId: string) =>
  Object.fromEntries(
    (await h.query<{ account: string; s: string }>(`SELECT account, sum(amount)::text AS s FROM ledger_entries WHERE order_id = $1 GROUP BY account`, [orderId])).map((r) => [
      r.account,
      Number(r.s),
    ]),
  );
const orderRow = async (orderId: string) =>
  (await h.query<{ released_at: Date | null; refunded_amount: number; status: string }>(`SELECT released_at, refunded_amount, status FROM payment_orders WHERE order_id = $1`, [orderId]))[0];
const holdsOf = (orderId: string) => h.query<{ amount: number; settled_at: Date | null; release_due: boolean }>(`SELECT amount, settled_at, release_due FROM escrow_holds WHERE order_id = $1`, [orderId]);

test('created holds the money (delivery releases nothing, a duplicate adds nothing); closed won releases it to the seller', async () => {
  const sellerId = randomUUID();
  const { purchase, order, intentId, chargeId } = await h.paidOrder(5000, sellerId);
  const ref = `dp_${randomBytes(8).toString('hex')}`;
  const created = stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 5000, 'needs_response', ref));
  await delivered(created);
  // Stripe delivers the same event again, and sends another event about the same dispute
  expect((await stripe.deliver(created)).body).toMatchObject({ duplicate: true });
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 5000, 'needs_response', ref)));
  expect(await holdsOf(order.orderId)).toEqual([{ amount: 5000, settled_at: null, release_due: false }]);
  expect(h.eventsOf('ChargebackOpened', (e) => e.chargebackRef === ref)).toEqual([
    expect.objectContaining({ purchaseId: purchase.purchaseId, orders: [{ orderId: order.orderId, sellerId, amount: { amount: 5000, currency: 'USD' } }] }),
  ]);

  // delivered while held: nothing released, the release remembered
  await h.orderStatus(purchase, order, 'DELIVERED');
  expect((await orderRow(order.orderId)).released_at).toBeNull();
  expect(await ledgerOf(order.orderId)).toEqual({ [accounts.escrow(sellerId)]: 4500, [accounts.feesPending]: 500 });
  expect(await holdsOf(order.orderId)).toEqual([expect.objectContaining({ release_due: true, settled_at: null })]);

  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 5000, 'won', ref)));
  expect((await orderRow(order.orderId)).released_at).not.toBeNull();
  expect(await ledgerOf(order.orderId)).toEqual({
    [accounts.escrow(sellerId)]: 0,
    [accounts.feesPending]: 0,
    [accounts.seller(sellerId)]: 4500,
    [accounts.platformRevenue]: 500,
  });
  expect(h.eventsOf('ChargebackClosed', (e) => e.chargebackRef === ref)).toEqual([
    expect.objectContaining({ outcome: 'WON', orders: [{ orderId: order.orderId, amount: { amount: 5000, currency: 'USD' } }] }),
  ]);
  expect(h.eventsOf('EscrowReleased', (e) => e.orderId === order.orderId)).toHaveLength(1);
  expect(h.eventsOf('AuditRecorded', (e) => e.targetId === ref).map((e) => [e.action, e.targetType, e.details.outcome])).toEqual([
    ['chargeback.opened', 'chargeback', undefined],
    ['chargeback.closed', 'chargeback', 'WON'],
  ]);
  // closed again (a redelivery under another id) changes nothing
  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 5000, 'won', ref)));
  expect(h.eventsOf('ChargebackClosed', (e) => e.chargebackRef === ref)).toHaveLength(1);
});

test('closed (lost) before created: the disputed part of a two-order charge leaves the platform from escrow; the late created changes nothing', async () => {
  const [sellerA, sellerB] = [randomUUID(), randomUUID()];
  const purchase = purchaseOf([
    { sellerId: sellerA, lines: [{ categorySlug: 'home-garden', amount: 3000 }] },
    { sellerId: sellerB, lines: [{ categorySlug: 'home-garden', amount: 2000 }] },
  ]);
  const paid = await stripe.pay(await h.openPayment(purchase));
  const [first, second] = [...purchase.orders].sort((a, b) => a.orderId.localeCompare(b.orderId));
  const firstAmount = first.lines[0].amount;
  // 3500 of 5000: the first order (by id) whole, the second for what remains
  const ref = `dp_${randomBytes(8).toString('hex')}`;
  await delivered(stripeEvent('charge.dispute.closed', dispute(paid, 3500, 'lost', ref)));
  await delivered(stripeEvent('charge.dispute.created', dispute(paid, 3500, 'needs_response', ref)));

  expect(h.eventsOf('ChargebackOpened', (e) => e.chargebackRef === ref)).toHaveLength(1);
  expect(h.eventsOf('ChargebackClosed', (e) => e.chargebackRef === ref)).toEqual([
    expect.objectContaining({
      outcome: 'LOST',
      orders: [
        { orderId: first.orderId, amount: { amount: firstAmount, currency: 'USD' } },
        { orderId: second.orderId, amount: { amount: 3500 - firstAmount, currency: 'USD' } },
      ],
    }),
  ]);
  expect(await orderRow(first.orderId)).toMatchObject({ refunded_amount: firstAmount, status: 'REFUNDED', released_at: null });
  expect(await orderRow(second.orderId)).toMatchObject({ refunded_amount: 3500 - firstAmount, status: 'PENDING' });
  // the buyer's bank took 3500 back: out of escrow and pending fees, in proportion (10 %)
  const firstLedger = await ledgerOf(first.orderId);
  expect(firstLedger[accounts.buyer(purchase.buyerId)]).toBe(firstAmount);
  expect(firstLedger[accounts.escrow(first.sellerId)]).toBe(0);
  expect(firstLedger[accounts.feesPending]).toBe(0);
  const secondLedger = await ledgerOf(second.orderId);
  const secondLeft = second.lines[0].amount - (3500 - firstAmount);
  expect(secondLedger[accounts.buyer(purchase.buyerId)]).toBe(3500 - firstAmount);
  expect(secondLedger[accounts.escrow(second.sellerId)] + secondLedger[accounts.feesPending]).toBe(secondLeft);
  for (const o of [first, second]) expect((await holdsOf(o.orderId)).every((hold) => hold.settled_at !== null)).toBe(true);

  // what is left of the second order is released on delivery as usual
  await h.orderStatus(purchase, second, 'DELIVERED');
  const after = await ledgerOf(second.orderId);
  expect(after[accounts.escrow(second.sellerId)]).toBe(0);
  expect(after[accounts.seller(second.sellerId)] + after[accounts.platformRevenue]).toBe(secondLeft);
});

test('lost after release: taken back from what the seller has not been paid yet', async () => {
  const sellerId = randomUUID();
  const { purchase, order, intentId, chargeId } = await h.paidOrder(4000, sellerId);
  await h.orderStatus(purchase, order, 'DELIVERED');
  expect(await ledgerOf(order.orderId)).toMatchObject({ [accounts.seller(sellerId)]: 3600, [accounts.platformRevenue]: 400 });
  const ref = `dp_${randomBytes(8).toString('hex')}`;
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 1000, 'needs_response', ref)));
  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 1000, 'lost', ref)));
  // 1000 back to the buyer: 900 from the seller's unpaid share, 100 of the fee; nothing lost by the platform
  expect(await ledgerOf(order.orderId)).toMatchObject({
    [accounts.seller(sellerId)]: 2700,
    [accounts.platformRevenue]: 300,
    [accounts.buyer(purchase.buyerId)]: 1000,
  });
  expect((await ledgerOf(order.orderId))[accounts.chargebackLosses] ?? 0).toBe(0);
  expect(await orderRow(order.orderId)).toMatchObject({ refunded_amount: 1000 });
});

test('a chargeback on a charge the platform does not know is acknowledged and changes nothing', async () => {
  const before = await h.count(`SELECT count(*) AS n FROM chargebacks`);
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId: 'pi_unknown', chargeId: 'ch_unknown' }, 100, 'needs_response')));
  expect(await h.count(`SELECT count(*) AS n FROM chargebacks`)).toBe(before);
});
