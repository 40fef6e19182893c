import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { eventually } from '../../../lib/testing/eventually';
import { PayoutAccounts } from '../payout-accounts';
import { purchaseOf, REFUND, sellerViewer } from './harness';
import { providerRefOf, startStripePayments, stripeEvent, type StripeHarness } from './stripe-harness';

/**
 * Reconciliation against Stripe's list endpoints (the fake answers them in small pages, so that the
 * library pages with starting_after): a clean history reports nothing; a charge the webhook never
 * told us about, one made outside the marketplace, an amount that differs and a transfer held as
 * FAILED that Stripe made are each reported.
 */

let stripe: StripeHarness;
const OPERATOR: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer', 'operator'] };
const RUN = `mutation { runReconciliation { id status checked discrepancies { kind reference expected actual } } }`;

beforeAll(async () => {
  stripe = await startStripePayments();
  stripe.fake.listPageSize = 2;
});

afterAll(() => stripe?.stop());

const run = async () =>
  (await stripe.h.ok<{ runReconciliation: { status: string; checked: number; discrepancies: { kind: string; reference: string }[] } }>(OPERATOR, RUN))
    .runReconciliation;

test('a clean history, read page by page, reports nothing; a charge given back on receipt is no discrepancy', async () => {
  const { h, fake } = stripe;
  const sellerId = randomUUID();
  await new PayoutAccounts(h.subgraph.db).link(sellerId, 'acct_reconciled');
  const first = await h.paidOrder(3000, sellerId);
  await h.orderStatus(first.purchase, first.order, 'DELIVERED');
  const second = await h.paidOrder(2000, sellerId);
  await h.ok(sellerViewer(sellerId), REFUND, { orderId: second.order.orderId, amount: 700 });
  await eventually(async () => expect(fake.ofType('transfer')).toHaveLength(1));
  // a purchase cancelled before payment whose buyer paid anyway: the charge is given back at once
  const late = purchaseOf([{ lines: [{ categorySlug: 'toys', amount: 900 }] }]);
  const payment = await h.openPayment(late);
  await h.orderStatus(late, late.orders[0], 'CANCELLED');
  Object.assign(fake.objects.get(providerRefOf(payment))!, { status: 'requires_payment_method' });
  await stripe.deliver(stripeEvent('payment_intent.succeeded', fake.succeed(providerRefOf(payment))));

  const clean = await run();
  expect(clean).toMatchObject({ status: 'SUCCEEDED', discrepancies: [] });
  expect(clean.checked).toBeGreaterThanOrEqual(5);
  // every list was read to its end, a page at a time
  for (const path of ['/v1/payment_intents', '/v1/refunds', '/v1/transfers']) {
    expect(fake.requestsTo('GET', path).length).toBeGreaterThanOrEqual(1);
  }
  expect(fake.requestsTo('GET', '/v1/payment_intents').some((r) => r.form.starting_after)).toBe(true);
});

test('each kind of discrepancy with Stripe is reported', async () => {
  const { h, fake } = stripe;
  // the buyer paid, and the webhook never came
  const unheard = await h.openPayment(purchaseOf([{ lines: [{ categorySlug: 'toys', amount: 1500 }] }]));
  const unheardRef = providerRefOf(unheard);
  fake.succeed(unheardRef);
  // a charge made outside the marketplace (the dashboard)
  fake.add({ id: 'pi_outside', object: 'payment_intent', amount: 4200, amount_received: 4200, currency: 'usd', status: 'succeeded', metadata: {} });
  // a refund Stripe holds for another amount
  const [refund] = fake.ofType('refund', (r) => (r.metadata as Record<string, string>).refund_id !== undefined);
  refund.amount = (refund.amount as number) + 5;
  // a transfer held here as FAILED that Stripe made
  const [{ id: transferId, provider_ref: transferRef }] = await h.query<{ id: string; provider_ref: string }>(`SELECT id, provider_ref FROM transfers LIMIT 1`);
  await h.query(`UPDATE transfers SET status = 'FAILED' WHERE id = $1`, [transferId]);

  const found = await run();
  expect(found.discrepancies).toEqual([
    { kind: 'AMOUNT_MISMATCH', reference: refund.id, expected: '700 USD', actual: '705 USD' },
    { kind: 'MISSING_HERE', reference: 'pi_outside', expected: null, actual: 'payment 4200 USD succeeded' },
    { kind: 'MISSING_HERE', reference: unheardRef, expected: 'payment REQUIRES_PAYMENT', actual: 'payment 1500 USD succeeded' },
    { kind: 'STATUS_MISMATCH', reference: transferRef, expected: 'FAILED', actual: 'succeeded' },
  ].sort((a, b) => a.kind.localeCompare(b.kind) || a.reference.localeCompare(b.reference)));
  expect((await run()).discrepancies).toEqual(found.discrepancies);
});
