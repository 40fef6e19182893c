import { randomBytes, randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { eventually } from '../../../lib/testing/eventually';
import { ChargebackRecoveries } from '../chargeback-recoveries';
import { accounts, unbalancedTransactions } from '../ledger';
import { PayoutAccounts } from '../payout-accounts';
import { PayoutSchedules } from '../payout-schedules';
import { createStripeClient } from '../stripe-config';
import { StripePaymentProvider } from '../stripe-provider';
import { SellerTransfers } from '../transfers';
import { purchaseOf, type PaymentsHarness } from './harness';
import { startStripePayments, stripeEvent, type StripeHarness, type StripePayment } from './stripe-harness';

/**
 * Chargebacks as Stripe reports them, in signed webhooks from the local Stripe-speaking server: created holds the
 * disputed amount in escrow (delivery releases nothing), closed won releases it, closed lost takes it out of the
 * platform in the ledger (from escrow, or from what the seller has not been paid yet, or, once the seller was paid,
 * as the platform's loss and then back from the seller's transfer by a reversal); duplicates and a closed that
 * arrives before its created change nothing twice. The ledger balances after each test.
 */
let stripe: StripeHarness;
let h: PaymentsHarness<StripePayment>;
let sellerAccounts: PayoutAccounts;
/** What the subgraph runs in the background (the transfer sweep, the recoveries' sweep), run by the tests when they choose. */
let background: { transfers: SellerTransfers; recoveries: ChargebackRecoveries };

beforeAll(async () => {
  stripe = await startStripePayments();
  h = stripe.h;
  sellerAccounts = new PayoutAccounts(h.subgraph.db);
  const client = createStripeClient({ secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret, host: '127.0.0.1', port: stripe.fake.port, protocol: 'http' });
  const adapter = new StripePaymentProvider(client, (sellerId) => sellerAccounts.destinationOf(sellerId), h.logger);
  background = {
    transfers: new SellerTransfers(h.subgraph.db, adapter, new PayoutSchedules(h.subgraph.db), (sellerId) => sellerAccounts.canBePaid(sellerId), h.logger),
    recoveries: new ChargebackRecoveries(h.subgraph.db, adapter, () => h.subgraph.outbox.wake(), h.logger),
  };
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

// --- lost after the seller was paid: the seller's transfer is reversed -----------------------------------------

const OPERATOR: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer', 'operator'] };
const newRef = () => `dp_${randomBytes(8).toString('hex')}`;
const reversalKey = (ref: string, orderId: string) => `chargeback:${ref}:${orderId}:reversal`;
const reversalsOf = (ref: string) => stripe.fake.requestsTo('POST', /^\/v1\/transfers\/[^/]+\/reversals$/).filter((r) => r.idempotencyKey?.startsWith(`chargeback:${ref}:`));
const transferOf = async (orderId: string) =>
  (
    await h.query<{ id: string; provider_ref: string | null; amount: number; reversed_amount: number; status: string }>(
      `SELECT t.id, t.provider_ref, t.amount, t.reversed_amount, t.status FROM transfers t JOIN payment_orders o ON o.transfer_id = t.id WHERE o.order_id = $1`,
      [orderId],
    )
  )[0];
const recoveryOf = async (ref: string, orderId: string) =>
  (
    await h.query<{ status: string; amount: number; attempts: number; provider_ref: string | null; failure: string | null }>(
      `SELECT status, amount, attempts, provider_ref, failure FROM chargeback_recoveries WHERE chargeback_ref = $1 AND order_id = $2`,
      [ref, orderId],
    )
  )[0];
/** One ledger transaction's entries, by account. */
const entriesOf = async (reference: string) =>
  Object.fromEntries(
    (
      await h.query<{ account: string; amount: number }>(
        `SELECT e.account, e.amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.reference = $1`,
        [reference],
      )
    ).map((e) => [e.account, e.amount]),
  );

/** A seller with a Stripe account is paid for a delivered order of `amount` (10 % fee): their transfer is made. */
async function paidSeller(amount: number) {
  const sellerId = randomUUID();
  await sellerAccounts.link(sellerId, `acct_${randomBytes(6).toString('hex')}`);
  const paid = await h.paidOrder(amount, sellerId);
  await h.orderStatus(paid.purchase, paid.order, 'DELIVERED');
  const transfer = await transferOf(paid.order.orderId);
  expect(transfer).toMatchObject({ amount: amount * 0.9, status: 'PAID', provider_ref: expect.stringMatching(/^tr_/) });
  return { ...paid, sellerId, transferRef: transfer.provider_ref! };
}

test('lost after the seller was paid: the loss is booked, then their share is reversed from the transfer once, though the close comes three times (one while the reversal is in flight)', async () => {
  const { purchase, order, sellerId, intentId, chargeId, transferRef } = await paidSeller(4000);
  const ref = newRef();
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 4000, 'needs_response', ref)));
  const close = stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 4000, 'lost', ref));
  // Stripe sends another event about the same close while the first delivery's reversal is in flight, and later the first one again
  const inFlight = stripe.fake.holdNext('POST', /^\/v1\/transfers\/[^/]+\/reversals$/);
  const first = stripe.deliver(close);
  await inFlight.reached;
  expect((await stripe.deliver(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 4000, 'lost', ref)))).status).toBe(200);
  inFlight.release();
  expect((await first).status).toBe(200);
  expect((await stripe.deliver(close)).body).toMatchObject({ duplicate: true });
  await h.published();

  expect(reversalsOf(ref).map((r) => [r.path, r.idempotencyKey, r.form.amount, r.form['metadata[order_id]']])).toEqual([
    [`/v1/transfers/${transferRef}/reversals`, reversalKey(ref, order.orderId), '3600', order.orderId],
  ]);
  expect(stripe.fake.objects.get(transferRef)).toMatchObject({ amount: 3600, amount_reversed: 3600 });
  // the buyer's 4000 left the platform: 400 of the fee, 3600 booked as the platform's loss and then recovered from the seller
  expect(await entriesOf(`chargeback:${ref}:${order.orderId}`)).toEqual({
    [accounts.buyer(purchase.buyerId)]: 4000,
    [accounts.chargebackLosses]: -3600,
    [accounts.platformRevenue]: -400,
  });
  expect(await entriesOf(`chargeback-recovery:${ref}:${order.orderId}`)).toEqual({ [accounts.paidOut(sellerId)]: -3600, [accounts.chargebackLosses]: 3600 });
  expect(await ledgerOf(order.orderId)).toEqual({
    [accounts.escrow(sellerId)]: 0,
    [accounts.feesPending]: 0,
    [accounts.seller(sellerId)]: 0,
    [accounts.paidOut(sellerId)]: 0,
    [accounts.platformRevenue]: 0,
    [accounts.chargebackLosses]: 0,
    [accounts.buyer(purchase.buyerId)]: 4000,
  });
  // all of the transfer came back, recorded as a refund's reversal is
  expect(await transferOf(order.orderId)).toMatchObject({ reversed_amount: 3600, status: 'REVERSED' });
  const reversal = stripe.fake.ofType('transfer_reversal', (r) => r.transfer === transferRef);
  expect(await recoveryOf(ref, order.orderId)).toMatchObject({ status: 'RECOVERED', amount: 3600, provider_ref: reversal[0].id });
  expect(h.eventsOf('AuditRecorded', (e) => e.targetId === ref).map((e) => e.action)).toEqual(['chargeback.opened', 'chargeback.closed', 'chargeback.recovered']);
  expect(h.eventsOf('ChargebackClosed', (e) => e.chargebackRef === ref)).toHaveLength(1);

  // Stripe's records and ours still agree: a reversal leaves the transfer's amount as it was on both sides
  const { runReconciliation } = await h.ok<{ runReconciliation: { status: string; discrepancies: unknown[] } }>(
    OPERATOR,
    `mutation { runReconciliation { status discrepancies { kind reference expected actual } } }`,
  );
  expect(runReconciliation).toEqual({ status: 'SUCCEEDED', discrepancies: [] });
});

test('a reversal whose answer is lost fails the delivery; Stripe delivers the close again and the same key finds the reversal made: recovered once', async () => {
  const { order, sellerId, intentId, chargeId, transferRef } = await paidSeller(4000);
  const ref = newRef();
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 1000, 'needs_response', ref)));
  const close = stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 1000, 'lost', ref));
  stripe.fake.loseNextAnswers('POST', /^\/v1\/transfers\/[^/]+\/reversals$/);
  expect((await stripe.deliver(close)).status).toBe(500);
  // made at Stripe, unknown here: the close stands (the loss booked), the recovery waits
  expect(stripe.fake.objects.get(transferRef)).toMatchObject({ amount_reversed: 900 });
  expect(await recoveryOf(ref, order.orderId)).toMatchObject({ status: 'PENDING', amount: 900, attempts: 1 });
  expect((await ledgerOf(order.orderId))[accounts.chargebackLosses]).toBe(-900);
  expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE reference = $1`, [`chargeback-recovery:${ref}:${order.orderId}`])).toBe(0);

  expect((await stripe.deliver(close)).status).toBe(200);
  expect(reversalsOf(ref).map((r) => [r.idempotencyKey, r.form.amount, r.replayed])).toEqual([
    [reversalKey(ref, order.orderId), '900', false],
    [reversalKey(ref, order.orderId), '900', true],
  ]);
  expect(stripe.fake.objects.get(transferRef)).toMatchObject({ amount: 3600, amount_reversed: 900 });
  expect(await recoveryOf(ref, order.orderId)).toMatchObject({ status: 'RECOVERED', attempts: 2 });
  expect(await transferOf(order.orderId)).toMatchObject({ reversed_amount: 900, status: 'PAID' });
  expect(await ledgerOf(order.orderId)).toMatchObject({
    [accounts.paidOut(sellerId)]: 2700,
    [accounts.chargebackLosses]: 0,
    [accounts.platformRevenue]: 300,
    [accounts.seller(sellerId)]: 0,
  });
});

test('a reversal Stripe refuses (the seller’s balance cannot cover it): the platform bears the loss, and it is not asked again', async () => {
  const { purchase, order, sellerId, intentId, chargeId, transferRef } = await paidSeller(2000);
  const ref = newRef();
  stripe.fake.failNext('POST', /^\/v1\/transfers\/[^/]+\/reversals$/, 400, 'insufficient_funds', 'The connected account’s balance cannot cover the reversal');
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 2000, 'needs_response', ref)));
  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 2000, 'lost', ref)));

  expect(reversalsOf(ref)).toHaveLength(1);
  expect(stripe.fake.objects.get(transferRef)).toMatchObject({ amount_reversed: 0 });
  expect(await recoveryOf(ref, order.orderId)).toMatchObject({ status: 'REFUSED', amount: 1800, failure: expect.stringMatching(/cannot cover/) });
  expect(await transferOf(order.orderId)).toMatchObject({ reversed_amount: 0, status: 'PAID' });
  // the seller keeps what they were paid; the buyer's bank took it from the platform
  expect(await ledgerOf(order.orderId)).toMatchObject({
    [accounts.paidOut(sellerId)]: 1800,
    [accounts.chargebackLosses]: -1800,
    [accounts.platformRevenue]: 0,
    [accounts.buyer(purchase.buyerId)]: 2000,
  });
  expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE reference = $1`, [`chargeback-recovery:${ref}:${order.orderId}`])).toBe(0);

  // another event about the close, and the sweep: a refusal is an answer, nothing is asked again
  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 2000, 'lost', ref)));
  await background.recoveries.retryPending(0);
  expect(reversalsOf(ref)).toHaveLength(1);
  expect((await recoveryOf(ref, order.orderId)).status).toBe('REFUSED');
});

test('lost while the seller’s transfer is unconfirmed: the recovery waits for it, and the sweep takes it back once Stripe stopped delivering the close', async () => {
  const sellerId = randomUUID();
  await sellerAccounts.link(sellerId, `acct_${randomBytes(6).toString('hex')}`);
  const { purchase, order, intentId, chargeId } = await h.paidOrder(3000, sellerId);
  const lost = stripe.fake.loseNextAnswers('POST', /^\/v1\/transfers$/, Infinity);
  await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
  await eventually(async () => expect(await transferOf(order.orderId)).toMatchObject({ status: 'PENDING', provider_ref: null }));
  await eventually(async () => expect(stripe.fake.ofType('transfer', (t) => t.transfer_group === purchase.purchaseId)).toHaveLength(1));
  await h.bus.settled();

  const ref = newRef();
  await delivered(stripeEvent('charge.dispute.created', dispute({ intentId, chargeId }, 3000, 'needs_response', ref)));
  // nothing to reverse yet: the close stands, the delivery fails so that Stripe delivers it again
  expect((await stripe.deliver(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 3000, 'lost', ref)))).status).toBe(500);
  expect(reversalsOf(ref)).toHaveLength(0);
  expect(await recoveryOf(ref, order.orderId)).toMatchObject({ status: 'PENDING', amount: 2700 });
  expect(await ledgerOf(order.orderId)).toMatchObject({ [accounts.paidOut(sellerId)]: 2700, [accounts.chargebackLosses]: -2700 });
  // too early for the sweep
  await background.recoveries.retryPending();
  expect(reversalsOf(ref)).toHaveLength(0);

  lost.stop();
  // the transfer sweep asks again with the transfer's key: Stripe answers with the one it made
  await background.transfers.retryTransfers(0, sellerId);
  const transfer = await transferOf(order.orderId);
  expect(transfer).toMatchObject({ status: 'PAID', provider_ref: expect.stringMatching(/^tr_/) });
  expect(await background.recoveries.retryPending(0)).toBe(1);
  expect(reversalsOf(ref).map((r) => [r.path, r.idempotencyKey, r.form.amount])).toEqual([
    [`/v1/transfers/${transfer.provider_ref}/reversals`, reversalKey(ref, order.orderId), '2700'],
  ]);
  expect(await transferOf(order.orderId)).toMatchObject({ reversed_amount: 2700, status: 'REVERSED' });
  expect(await ledgerOf(order.orderId)).toMatchObject({ [accounts.paidOut(sellerId)]: 0, [accounts.chargebackLosses]: 0, [accounts.buyer(purchase.buyerId)]: 3000 });
  // a late redelivery of the close asks nothing more
  await delivered(stripeEvent('charge.dispute.closed', dispute({ intentId, chargeId }, 3000, 'lost', ref)));
  expect(reversalsOf(ref)).toHaveLength(1);
});
