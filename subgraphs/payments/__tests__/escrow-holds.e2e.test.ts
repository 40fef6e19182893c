import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { accounts, unbalancedTransactions } from '../ledger';
import { buyerViewer, ORDERS_SERVICE, REFUND, sellerViewer, startPayments, type PaymentsHarness } from './harness';

/**
 * The escrow freeze behind disputes, as the orders subgraph calls it (internal mutations, signed as a service): a
 * hold and the release on delivery cannot both win; a held order's delivery releases nothing until the decision; a
 * decision is fixed by its first request; a hold given back releases what came due. The ledger balances after each.
 */
let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPayments();
});
afterAll(() => h?.stop());
afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

const HOLD = `mutation ($orderId: ID!, $disputeId: ID!) { holdEscrow(orderId: $orderId, disputeId: $disputeId) }`;
const DROP = `mutation ($orderId: ID!, $disputeId: ID!) { dropEscrowHold(orderId: $orderId, disputeId: $disputeId) }`;
const SETTLE = `mutation ($orderId: ID!, $disputeId: ID!, $refundAmount: Int, $release: Boolean!) {
  settleDispute(orderId: $orderId, disputeId: $disputeId, refundAmount: $refundAmount, release: $release)
}`;

const released = async (orderId: string) => (await h.query<{ released_at: Date | null }>(`SELECT released_at FROM payment_orders WHERE order_id = $1`, [orderId]))[0].released_at !== null;
const ledgerOf = async (orderId: string) =>
  Object.fromEntries(
    (await h.query<{ account: string; s: string }>(`SELECT account, sum(amount)::text AS s FROM ledger_entries WHERE order_id = $1 GROUP BY account`, [orderId])).map((r) => [
      r.account,
      Number(r.s),
    ]),
  );

test('only services hold escrow', async () => {
  const { order } = await h.paidOrder(1000);
  for (const viewer of [null, buyerViewer(randomUUID()), sellerViewer(order.sellerId)]) {
    const response = await h.call(viewer, HOLD, { orderId: order.orderId, disputeId: randomUUID() });
    expect(response.errors?.length).toBeGreaterThan(0);
  }
  expect(await h.count(`SELECT count(*) AS n FROM escrow_holds WHERE order_id = $1`, [order.orderId])).toBe(0);
});

test('held, delivery releases nothing; a decision for the seller releases it, once', async () => {
  const sellerId = randomUUID();
  const { purchase, order } = await h.paidOrder(2000, sellerId);
  const disputeId = randomUUID();
  expect(await h.ok(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId })).toEqual({ holdEscrow: true });
  // asked again (orders retrying): the same hold
  expect(await h.ok(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId })).toEqual({ holdEscrow: true });
  expect(await h.count(`SELECT count(*) AS n FROM escrow_holds WHERE order_id = $1`, [order.orderId])).toBe(1);
  // another dispute on the same money
  expect(codes(await h.call(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId: randomUUID() }))).toEqual(['CONFLICT']);

  await h.orderStatus(purchase, order, 'DELIVERED');
  expect(await released(order.orderId)).toBe(false);
  expect(await ledgerOf(order.orderId)).toEqual({ [accounts.escrow(sellerId)]: 1800, [accounts.feesPending]: 200 });

  // a refund beyond what is left: BAD_USER_INPUT, and the decision is still open
  expect(codes(await h.call(ORDERS_SERVICE, SETTLE, { orderId: order.orderId, disputeId, refundAmount: 2001, release: true }))).toEqual(['BAD_USER_INPUT']);
  expect(await h.ok(ORDERS_SERVICE, SETTLE, { orderId: order.orderId, disputeId, refundAmount: 500, release: true })).toEqual({ settleDispute: 500 });
  expect(await released(order.orderId)).toBe(true);
  // the fee shares the refund in proportion: 500 of 2000 refunds 50 of the 200 fee
  expect(await ledgerOf(order.orderId)).toEqual({
    [accounts.escrow(sellerId)]: 0,
    [accounts.feesPending]: 0,
    [accounts.buyer(purchase.buyerId)]: 500,
    [accounts.seller(sellerId)]: 1350,
    [accounts.platformRevenue]: 150,
  });
  // the same decision again finishes nothing twice; another is refused
  expect(await h.ok(ORDERS_SERVICE, SETTLE, { orderId: order.orderId, disputeId, refundAmount: 500, release: true })).toEqual({ settleDispute: 500 });
  expect(codes(await h.call(ORDERS_SERVICE, SETTLE, { orderId: order.orderId, disputeId, refundAmount: null, release: false }))).toEqual(['CONFLICT']);
  expect(await h.count(`SELECT count(*) AS n FROM refunds WHERE order_id = $1`, [order.orderId])).toBe(1);
  expect(h.eventsOf('EscrowReleased', (e) => e.orderId === order.orderId)).toHaveLength(1);
});

test('released first, the hold is refused; refunded in full, too', async () => {
  const { purchase, order } = await h.paidOrder(1500);
  await h.orderStatus(purchase, order, 'DELIVERED');
  expect(await released(order.orderId)).toBe(true);
  expect(codes(await h.call(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId: randomUUID() }))).toEqual(['CONFLICT']);

  const other = await h.paidOrder(1500);
  await h.ok(sellerViewer(other.order.sellerId), REFUND, { orderId: other.order.orderId });
  expect(codes(await h.call(ORDERS_SERVICE, HOLD, { orderId: other.order.orderId, disputeId: randomUUID() }))).toEqual(['CONFLICT']);
  expect(await h.count(`SELECT count(*) AS n FROM escrow_holds WHERE order_id = ANY($1::uuid[])`, [[order.orderId, other.order.orderId]])).toBe(0);
});

test('a decision for the buyer refunds everything and releases nothing', async () => {
  const sellerId = randomUUID();
  const { purchase, order } = await h.paidOrder(3000, sellerId);
  const disputeId = randomUUID();
  await h.ok(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId });
  expect(await h.ok(ORDERS_SERVICE, SETTLE, { orderId: order.orderId, disputeId, refundAmount: null, release: false })).toEqual({ settleDispute: 3000 });
  await h.orderStatus(purchase, order, 'DELIVERED');
  expect(await released(order.orderId)).toBe(false);
  expect(await ledgerOf(order.orderId)).toEqual({ [accounts.escrow(sellerId)]: 0, [accounts.feesPending]: 0, [accounts.buyer(purchase.buyerId)]: 3000 });
  expect(h.eventsOf('OrderRefunded', (e) => e.orderId === order.orderId)).toEqual([expect.objectContaining({ fullyRefunded: true })]);
});

test('a hold given back (the dispute was not opened after all) releases what came due meanwhile', async () => {
  const { purchase, order } = await h.paidOrder(1200);
  const disputeId = randomUUID();
  await h.ok(ORDERS_SERVICE, HOLD, { orderId: order.orderId, disputeId });
  await h.orderStatus(purchase, order, 'DELIVERED');
  expect(await released(order.orderId)).toBe(false);
  expect(await h.ok(ORDERS_SERVICE, DROP, { orderId: order.orderId, disputeId })).toEqual({ dropEscrowHold: true });
  expect(await released(order.orderId)).toBe(true);
  expect(await h.count(`SELECT count(*) AS n FROM escrow_holds WHERE order_id = $1`, [order.orderId])).toBe(0);
  // a hold never made: nothing to give back, nothing changes
  expect(await h.ok(ORDERS_SERVICE, DROP, { orderId: order.orderId, disputeId: randomUUID() })).toEqual({ dropEscrowHold: true });
});
