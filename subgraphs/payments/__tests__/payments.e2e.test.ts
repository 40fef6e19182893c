import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { Refunds } from '../refunds';
import { PaymentRefusedError } from '../provider';
import { TestPaymentProvider } from '../test-provider';
import {
  buyerViewer,
  CONFIRM,
  CREATE,
  ORDERS_SERVICE,
  purchaseOf,
  REFUND,
  sellerViewer,
  startPayments,
  type PaymentResult,
  type PaymentsHarness,
  type RefundResult,
  type TestOrder,
  type TestPurchase,
} from './harness';

/** The test provider, with refunds that can be made to fail. */
class FlakyProvider extends TestPaymentProvider {
  /** The next refunds are refused: nothing happens. */
  failRefunds = 0;
  /** The next refunds are made, but their answer is lost (a timeout): the outcome is unknown to the caller. */
  loseRefunds = 0;
  refundCalls = 0;
  /** The next refund call answers only once this settles: a request that dies while the provider works. */
  holdNextRefund?: Promise<void>;
  override async refund(input: Parameters<TestPaymentProvider['refund']>[0]) {
    this.refundCalls += 1;
    const hold = this.holdNextRefund;
    this.holdNextRefund = undefined;
    if (hold) await hold;
    if (this.failRefunds > 0) {
      this.failRefunds -= 1;
      throw new PaymentRefusedError('refused by the test');
    }
    const answer = await super.refund(input);
    if (this.loseRefunds > 0) {
      this.loseRefunds -= 1;
      throw new Error('the provider did not answer in time');
    }
    return answer;
  }
}

const provider = new FlakyProvider();
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPayments({ provider, env: { PLATFORM_FEE_RULES: 'electronics=500,books=0' } });
});

afterAll(() => h?.stop());

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Payment { id status amount { amount currency } }
    ... on Purchase { id payment { id status clientSecret amount { amount currency } } }
    ... on Order { id payout { platformFee { amount currency } net { amount currency } status refunded { amount currency } } }
    ... on Seller { id balance { pending { amount currency } available { amount currency } paidOut { amount currency } } }
  }
}`;

interface Payout {
  platformFee: { amount: number; currency: string };
  net: { amount: number; currency: string };
  status: string;
  refunded: { amount: number; currency: string };
}
interface Balance {
  pending: { amount: number; currency: string };
  available: { amount: number; currency: string };
  paidOut: { amount: number; currency: string };
}

async function payoutOf(viewer: Viewer | null, orderId: string): Promise<Payout | null> {
  const { _entities } = await h.ok<{ _entities: { payout: Payout | null }[] }>(viewer, ENTITIES, {
    representations: [{ __typename: 'Order', id: orderId }],
  });
  return _entities[0].payout;
}

async function balanceOf(viewer: Viewer | null, sellerId: string): Promise<Balance | null> {
  const { _entities } = await h.ok<{ _entities: { balance: Balance | null }[] }>(viewer, ENTITIES, {
    representations: [{ __typename: 'Seller', id: sellerId }],
  });
  return _entities[0].balance;
}

// --- createPayment --------------------------------------------------------------------------------

describe('createPayment (internal, at checkout)', () => {
  test('opens a payment for the sum of the orders, with a Stripe-like client secret', async () => {
    const purchase = purchaseOf([
      { lines: [{ categorySlug: 'home-garden', amount: 3000 }] },
      { lines: [{ categorySlug: 'books', amount: 999 }, { categorySlug: 'electronics', amount: 1 }] },
    ]);
    const payment = await h.openPayment(purchase);
    expect(payment).toMatchObject({ status: 'REQUIRES_PAYMENT', provider: 'test', amount: { amount: 4000, currency: 'USD', formatted: '$40.00' } });
    expect(payment.clientSecret).toMatch(/^pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/);
    expect(await h.count(`SELECT count(*) AS n FROM payment_orders WHERE payment_id = $1`, [payment.id])).toBe(2);
  });

  test('is idempotent per purchase, also for concurrent calls', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 500 }] }]);
    const first = await h.openPayment(purchase);
    expect((await h.openPayment(purchase)).id).toBe(first.id);

    const concurrent = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 700 }] }, { lines: [{ categorySlug: 'books', amount: 300 }] }]);
    const results = await Promise.all(Array.from({ length: 5 }, () => h.openPayment(concurrent)));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    expect(await h.count(`SELECT count(*) AS n FROM payments WHERE purchase_id = $1`, [concurrent.purchaseId])).toBe(1);
    expect(await h.count(`SELECT count(*) AS n FROM payment_orders WHERE payment_id = $1`, [results[0].id])).toBe(2);
  });

  test.each([
    ['no orders', (p: TestPurchase) => ({ ...p.input, orders: [] })],
    ['a zero amount', (p: TestPurchase) => ({ ...p.input, orders: [{ ...p.orders[0], lines: [{ categorySlug: 'books', amount: 0 }] }] })],
    ['a negative amount', (p: TestPurchase) => ({ ...p.input, orders: [{ ...p.orders[0], lines: [{ categorySlug: 'books', amount: -5 }] }] })],
    ['a fractional amount', (p: TestPurchase) => ({ ...p.input, orders: [{ ...p.orders[0], lines: [{ categorySlug: 'books', amount: 1.5 }] }] })],
    ['an order without lines', (p: TestPurchase) => ({ ...p.input, orders: [{ ...p.orders[0], lines: [] }] })],
    ['a made-up currency', (p: TestPurchase) => ({ ...p.input, currency: 'ABC' })],
    ['a buyer id that is not a UUID', (p: TestPurchase) => ({ ...p.input, buyerId: 'someone' })],
    ['the same order twice', (p: TestPurchase) => ({ ...p.input, orders: [p.orders[0], p.orders[0]] })],
  ])('%s is BAD_USER_INPUT and writes nothing', async (_case, change) => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'books', amount: 100 }] }]);
    const before = await h.count(`SELECT count(*) AS n FROM payments`);
    expect(codes(await h.call(ORDERS_SERVICE, CREATE, { input: change(purchase) }))).toEqual(['BAD_USER_INPUT']);
    expect(await h.count(`SELECT count(*) AS n FROM payments`)).toBe(before);
  });

  test('only services hold the internal scope', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'books', amount: 100 }] }]);
    expect(codes(await h.call(buyerViewer(purchase.buyerId), CREATE, { input: purchase.input }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, CREATE, { input: purchase.input }))).toEqual(['UNAUTHENTICATED']);
    expect(await h.count(`SELECT count(*) AS n FROM payments WHERE purchase_id = $1`, [purchase.purchaseId])).toBe(0);
  });
});

// --- paying ---------------------------------------------------------------------------------------

describe('confirmTestPayment', () => {
  test('a declined card changes nothing; 4242 (spaces allowed) pays, once, with one PaymentSucceeded', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 2500 }] }, { lines: [{ categorySlug: 'books', amount: 1800 }] }]);
    const payment = await h.openPayment(purchase);
    const buyer = buyerViewer(purchase.buyerId);

    const declined = await h.call(buyer, CONFIRM, { id: payment.id, card: '4000 0000 0000 0002' });
    expect(codes(declined)).toEqual(['PAYMENT_DECLINED']);
    expect(codes(await h.call(buyer, CONFIRM, { id: payment.id, card: '1234 5678 9012 3456' }))).toEqual(['BAD_USER_INPUT']);
    await h.published();
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1`, [payment.id])).toBe(0);
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(0);
    expect((await h.query<{ status: string }>(`SELECT status FROM payments WHERE id = $1`, [payment.id]))[0].status).toBe('REQUIRES_PAYMENT');

    const paid = await h.ok<{ confirmTestPayment: PaymentResult }>(buyer, CONFIRM, { id: payment.id, card: '4242 4242 4242 4242' });
    expect(paid.confirmTestPayment).toMatchObject({ id: payment.id, status: 'SUCCEEDED', amount: { amount: 4300 } });
    await eventually(async () => expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1));
    const [event] = h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id);
    expect(event.purchaseId).toBe(purchase.purchaseId);
    expect([...event.orderIds].sort()).toEqual(purchase.orders.map((o) => o.orderId).sort());

    // again, and concurrently: the same payment, no second charge, no second event
    const again = await Promise.all(Array.from({ length: 4 }, () => h.call<{ confirmTestPayment: PaymentResult }>(buyer, CONFIRM, { id: payment.id, card: '4242424242424242' })));
    expect(again.map((r) => r.data?.confirmTestPayment.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // a declined card on a paid payment changes nothing either
    expect((await h.ok<{ confirmTestPayment: PaymentResult }>(buyer, CONFIRM, { id: payment.id, card: '4000000000000002' })).confirmTestPayment.status).toBe('SUCCEEDED');
    await h.published();
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1 AND kind = 'CHARGE'`, [payment.id])).toBe(1);
  });

  test('concurrent first confirmations charge once and record one event', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 900 }] }]);
    const payment = await h.openPayment(purchase);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => h.call<{ confirmTestPayment: PaymentResult }>(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' })),
    );
    expect(results.map((r) => r.data?.confirmTestPayment.status)).toEqual(Array(6).fill('SUCCEEDED'));
    await h.published();
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE payment_id = $1`, [payment.id])).toBe(1);
  });

  test('only the buyer pays; unknown payments are NOT_FOUND', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 100 }] }]);
    const payment = await h.openPayment(purchase);
    expect(codes(await h.call(buyerViewer(randomUUID()), CONFIRM, { id: payment.id, card: '4242424242424242' }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(sellerViewer(purchase.orders[0].sellerId), CONFIRM, { id: payment.id, card: '4242424242424242' }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, CONFIRM, { id: payment.id, card: '4242424242424242' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(buyerViewer(purchase.buyerId), CONFIRM, { id: randomUUID(), card: '4242424242424242' }))).toEqual(['NOT_FOUND']);
    expect(codes(await h.call(buyerViewer(purchase.buyerId), CONFIRM, { id: 'nope', card: '4242424242424242' }))).toEqual(['NOT_FOUND']);
    expect((await h.query<{ status: string }>(`SELECT status FROM payments WHERE id = $1`, [payment.id]))[0].status).toBe('REQUIRES_PAYMENT');
  });
});

// --- who sees what --------------------------------------------------------------------------------

describe('entity fields', () => {
  test('the payment is the buyer’s; the payout the buyer’s and the seller’s; the balance the seller’s', async () => {
    const sellerId = randomUUID();
    const purchase = purchaseOf([{ sellerId, lines: [{ categorySlug: 'electronics', amount: 3000 }, { categorySlug: 'home-garden', amount: 2001 }] }]);
    const payment = await h.openPayment(purchase);
    const [order] = purchase.orders;
    const buyer = buyerViewer(purchase.buyerId);
    const seller = sellerViewer(sellerId);
    const stranger = buyerViewer(randomUUID());
    const otherSeller = sellerViewer(randomUUID());

    const paymentAs = async (viewer: Viewer) =>
      (await h.ok<{ _entities: ({ payment: PaymentResult | null } | null)[] }>(viewer, ENTITIES, {
        representations: [{ __typename: 'Purchase', id: purchase.purchaseId }],
      }))._entities[0]!.payment;
    expect(await paymentAs(buyer)).toMatchObject({ id: payment.id, status: 'REQUIRES_PAYMENT', amount: { amount: 5001 } });
    expect(await paymentAs(stranger)).toBeNull();
    expect(await paymentAs(seller)).toBeNull();
    const entityAs = async (viewer: Viewer) =>
      (await h.ok<{ _entities: unknown[] }>(viewer, ENTITIES, { representations: [{ __typename: 'Payment', id: payment.id }] }))._entities[0];
    expect(await entityAs(buyer)).toMatchObject({ id: payment.id });
    expect(await entityAs(stranger)).toBeNull();

    // 3000 × 5 % + 2001 × 10 % = 150 + 200.1 = 350.1 → 350: known from the order's creation, before payment
    const expected = { platformFee: { amount: 350, currency: 'USD' }, net: { amount: 4651, currency: 'USD' }, status: 'PENDING', refunded: { amount: 0, currency: 'USD' } };
    expect(await payoutOf(seller, order.orderId)).toEqual(expected);
    expect(await payoutOf(stranger, order.orderId)).toBeNull();
    await h.ok(buyer, CONFIRM, { id: payment.id, card: '4242424242424242' });

    expect(await payoutOf(seller, order.orderId)).toEqual(expected);
    expect(await payoutOf(buyer, order.orderId)).toEqual(expected);
    expect(await payoutOf(stranger, order.orderId)).toBeNull();
    expect(await payoutOf(otherSeller, order.orderId)).toBeNull();
    expect(await payoutOf(null, order.orderId)).toBeNull();
    expect(await payoutOf(seller, randomUUID())).toBeNull();

    expect(await balanceOf(seller, sellerId)).toEqual({
      pending: { amount: 4651, currency: 'USD' },
      available: { amount: 0, currency: 'USD' },
      paidOut: { amount: 0, currency: 'USD' },
    });
    expect(await balanceOf(otherSeller, sellerId)).toBeNull();
    expect(await balanceOf(buyer, sellerId)).toBeNull();
    // a seller who never sold has zero, in their currency
    expect(await balanceOf(otherSeller, otherSeller.seller!.id)).toEqual({
      pending: { amount: 0, currency: 'USD' },
      available: { amount: 0, currency: 'USD' },
      paidOut: { amount: 0, currency: 'USD' },
    });
  });

  test('a zero-fee category leaves everything to the seller', async () => {
    const { purchase, order } = await (async () => {
      const p = purchaseOf([{ lines: [{ categorySlug: 'books', amount: 1999 }] }]);
      const payment = await h.openPayment(p);
      await h.ok(buyerViewer(p.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' });
      return { purchase: p, order: p.orders[0] };
    })();
    expect(await payoutOf(buyerViewer(purchase.buyerId), order.orderId)).toMatchObject({ platformFee: { amount: 0 }, net: { amount: 1999 } });
  });

  test('payouts of many orders cost the same statements as of one (per-request DataLoaders)', async () => {
    const sellerId = randomUUID();
    const purchase = purchaseOf(Array.from({ length: 20 }, () => ({ sellerId: randomUUID(), lines: [{ categorySlug: 'books', amount: 100 }] })));
    const payment = await h.openPayment(purchase);
    await h.ok(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' });
    const statementsFor = async (orders: TestOrder[]) => {
      const statements = await h.statements(() =>
        h.ok(buyerViewer(purchase.buyerId), ENTITIES, {
          representations: [
            ...orders.map((o) => ({ __typename: 'Order', id: o.orderId })),
            { __typename: 'Purchase', id: purchase.purchaseId },
            { __typename: 'Seller', id: sellerId },
          ],
        }),
      );
      // the outbox relay polls on its own schedule, and transaction control is not a read
      return statements.filter((sql) => !/\boutbox\b|^(START TRANSACTION|COMMIT|ROLLBACK)/.test(sql)).length;
    };
    const one = await statementsFor(purchase.orders.slice(0, 1));
    expect(await statementsFor(purchase.orders)).toBe(one);
    expect(one).toBeLessThanOrEqual(2);
  });
});

// --- escrow ---------------------------------------------------------------------------------------

describe('escrow release on delivery', () => {
  test('DELIVERED makes total − fee available, emits EscrowReleased once, and a duplicate changes nothing', async () => {
    const sellerId = randomUUID();
    await h.onboard(sellerId);
    const { purchase, order } = await h.paidOrder(5000, sellerId);
    const seller = sellerViewer(sellerId);
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 4500 }, available: { amount: 0 } });
    // statuses other than DELIVERED and CANCELLED move no money
    await h.orderStatus(purchase, order, 'SHIPPED');
    expect((await payoutOf(seller, order.orderId))?.status).toBe('PENDING');

    const delivered = await h.orderStatus(purchase, order, 'DELIVERED');
    await eventually(async () => expect((await payoutOf(seller, order.orderId))?.status).toBe('AVAILABLE'));
    // released, and (the seller's payouts being enabled) transferred at once: available → paid out
    await eventually(async () =>
      expect(await balanceOf(seller, sellerId)).toEqual({
        pending: { amount: 0, currency: 'USD' },
        available: { amount: 0, currency: 'USD' },
        paidOut: { amount: 4500, currency: 'USD' },
      }),
    );
    await eventually(async () => expect(h.eventsOf('EscrowReleased', (p) => p.orderId === order.orderId)).toHaveLength(1));
    expect(h.eventsOf('EscrowReleased', (p) => p.orderId === order.orderId)[0]).toMatchObject({ sellerId, net: { amount: 4500, currency: 'USD' } });
    await eventually(async () =>
      expect(await h.query(`SELECT transfer_ref FROM payment_orders WHERE order_id = $1`, [order.orderId])).toEqual([{ transfer_ref: expect.stringMatching(/^tr_/) }]),
    );

    // the same event again (redelivery) and another DELIVERED event for the order: nothing moves
    const ledgerRows = await h.count(`SELECT count(*) AS n FROM ledger_entries`);
    await h.bus.publish([delivered]);
    await h.orderStatus(purchase, order, 'DELIVERED');
    await h.published();
    expect(await h.count(`SELECT count(*) AS n FROM ledger_entries`)).toBe(ledgerRows);
    expect(h.eventsOf('EscrowReleased', (p) => p.orderId === order.orderId)).toHaveLength(1);
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 0 }, paidOut: { amount: 4500 } });
    expect(await h.count(`SELECT count(*) AS n FROM transfers WHERE seller_id = $1`, [sellerId])).toBe(1);
  });

  test('an unpaid order is not released, and an unknown order is ignored', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 100 }] }]);
    await h.openPayment(purchase);
    await h.orderStatus(purchase, purchase.orders[0], 'DELIVERED');
    await h.orderStatus(purchaseOf([{ lines: [{ categorySlug: 'x', amount: 1 }] }]), { orderId: randomUUID(), sellerId: randomUUID(), lines: [] }, 'DELIVERED');
    await h.published();
    expect(h.eventsOf('EscrowReleased', (p) => p.orderId === purchase.orders[0].orderId)).toHaveLength(0);
    expect((await h.query<{ status: string }>(`SELECT status FROM payment_orders WHERE order_id = $1`, [purchase.orders[0].orderId]))[0].status).toBe('PENDING');
  });
});

// --- refunds --------------------------------------------------------------------------------------

describe('refundOrder', () => {
  test('partial, then the rest: the payout becomes REFUNDED and escrow gives the money back', async () => {
    const sellerId = randomUUID();
    const { order } = await h.paidOrder(100, sellerId);
    const seller = sellerViewer(sellerId);

    const partial = await h.ok<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId, amount: 30, reason: '  Scratched  ' });
    expect(partial.refundOrder).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 30, currency: 'USD' }, reason: 'Scratched' });
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'PENDING', refunded: { amount: 30 } });
    // 30 × 10 / 100 = 3 of fee: the seller's escrow gives back 27
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 63 } });

    // more than is left: BAD_USER_INPUT, nothing changes
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 71 }))).toEqual(['BAD_USER_INPUT']);
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ refunded: { amount: 30 } });

    const rest = await h.ok<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId });
    expect(rest.refundOrder).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 70 }, reason: null });
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'REFUNDED', refunded: { amount: 100 } });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 0 } });

    await eventually(async () => {
      const refunds = h.eventsOf('OrderRefunded', (p) => p.orderId === order.orderId);
      expect(refunds.map((p) => [p.amount.amount, p.fullyRefunded])).toEqual([
        [30, false],
        [70, true],
      ]);
    });
    // nothing left
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId }))).toEqual(['CONFLICT']);
  });

  test('only the order’s seller refunds; bad amounts, unknown and unpaid orders are refused', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(100, sellerId);
    const seller = sellerViewer(sellerId);
    expect(codes(await h.call(buyerViewer(purchase.buyerId), REFUND, { orderId: order.orderId }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(sellerViewer(randomUUID()), REFUND, { orderId: order.orderId }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, REFUND, { orderId: order.orderId }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 0 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: -5 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, reason: 'x'.repeat(501) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await h.call(seller, REFUND, { orderId: randomUUID() }))).toEqual(['NOT_FOUND']);

    const unpaid = purchaseOf([{ sellerId, lines: [{ categorySlug: 'books', amount: 100 }] }]);
    await h.openPayment(unpaid);
    expect(codes(await h.call(seller, REFUND, { orderId: unpaid.orders[0].orderId }))).toEqual(['CONFLICT']);

    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'PENDING', refunded: { amount: 0 } });
    expect(await h.count(`SELECT count(*) AS n FROM refunds WHERE order_id = $1`, [order.orderId])).toBe(0);
  });

  test('10 concurrent refunds of 30 on an order of 100: exactly 3 go through', async () => {
    const sellerId = randomUUID();
    const { order } = await h.paidOrder(100, sellerId);
    const seller = sellerViewer(sellerId);
    const results = await Promise.all(Array.from({ length: 10 }, () => h.call<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId, amount: 30 })));
    expect(results.filter((r) => r.data?.refundOrder.status === 'SUCCEEDED')).toHaveLength(3);
    expect(results.flatMap(codes).sort()).toEqual(Array(7).fill('BAD_USER_INPUT'));
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'PENDING', refunded: { amount: 90 } });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 9 } });
  });

  test('after release the seller’s available money and the platform’s revenue pay it back', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    const seller = sellerViewer(sellerId);
    await h.orderStatus(purchase, order, 'DELIVERED');
    await eventually(async () => expect((await balanceOf(seller, sellerId))?.available.amount).toBe(900));
    await h.ok(seller, REFUND, { orderId: order.orderId, amount: 105 }); // fee share round(10.5) = 11, seller 94
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 806 } });
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'AVAILABLE', refunded: { amount: 105 } });
    await h.ok(seller, REFUND, { orderId: order.orderId });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ available: { amount: 0 } });
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'REFUNDED', refunded: { amount: 1000 } });
  });

  test('a partial refund before delivery leaves only the rest to release', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    const seller = sellerViewer(sellerId);
    await h.ok(seller, REFUND, { orderId: order.orderId, amount: 200 }); // fee 20, net 180
    await h.orderStatus(purchase, order, 'DELIVERED');
    await eventually(async () => expect((await payoutOf(seller, order.orderId))?.status).toBe('AVAILABLE'));
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 720 } });
    await eventually(async () => expect(h.eventsOf('EscrowReleased', (p) => p.orderId === order.orderId)[0]?.net.amount).toBe(720));
  });

  test('a refund the provider refuses is FAILED and holds nothing', async () => {
    const sellerId = randomUUID();
    const { order } = await h.paidOrder(100, sellerId);
    const seller = sellerViewer(sellerId);
    provider.failRefunds = 1;
    const failed = await h.ok<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId, amount: 60 });
    expect(failed.refundOrder).toMatchObject({ status: 'FAILED', amount: { amount: 60 } });
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'PENDING', refunded: { amount: 0 } });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 90 } });
    // the whole amount is still refundable
    expect((await h.ok<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId })).refundOrder.amount.amount).toBe(100);
  });

  test('a refund whose outcome is unknown (a timeout) stays PENDING and holds its amount; the retry finishes it, once', async () => {
    const sellerId = randomUUID();
    const { order } = await h.paidOrder(1000, sellerId);
    const seller = sellerViewer(sellerId);
    provider.loseRefunds = 1;
    const calls = provider.refundCalls;
    const unknown = await h.ok<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId, amount: 300 });
    expect(unknown.refundOrder).toMatchObject({ status: 'PENDING', amount: { amount: 300 } });
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 701 }))).toEqual(['BAD_USER_INPUT']);

    const retry = new Refunds(h.subgraph.db, provider, () => h.subgraph.outbox.wake(), h.logger);
    expect(await retry.retryStale(0)).toBe(1);
    expect(provider.refundCalls - calls).toBe(2);
    expect(await h.query(`SELECT status FROM refunds WHERE order_id = $1`, [order.orderId])).toEqual([{ status: 'SUCCEEDED' }]);
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ status: 'PENDING', refunded: { amount: 300 } });
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE order_id = $1 AND kind = 'REFUND'`, [order.orderId])).toBe(1);
  });
});

describe('a seller refund whose request died before it was recorded', () => {
  test('is finished by the retry with the same idempotency key: refunded once, and the escrow then releases', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    const seller = sellerViewer(sellerId);
    let answer!: () => void;
    provider.holdNextRefund = new Promise<void>((resolve) => (answer = resolve));
    const request = h.call<{ refundOrder: RefundResult }>(seller, REFUND, { orderId: order.orderId, amount: 400 });
    await eventually(async () => expect(await h.query(`SELECT status FROM refunds WHERE order_id = $1`, [order.orderId])).toEqual([{ status: 'PENDING' }]));

    // the reserved amount is held: only 600 is left to refund, and delivery waits for the refund
    expect(codes(await h.call(seller, REFUND, { orderId: order.orderId, amount: 601 }))).toEqual(['BAD_USER_INPUT']);
    // (the bus retries the release until the refund settles: nothing to wait for here)
    await h.orderStatus(purchase, order, 'DELIVERED', { wait: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await payoutOf(seller, order.orderId))?.status).toBe('PENDING');

    // what the subgraph runs in the background, every half minute, for refunds older than a minute
    const retry = new Refunds(h.subgraph.db, provider, () => h.subgraph.outbox.wake(), h.logger);
    expect(await retry.retryStale(0)).toBe(1);
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ refunded: { amount: 400 } });

    // the original request comes back late: same refund, nothing twice
    answer();
    expect((await request).data?.refundOrder).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 400 } });
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions WHERE order_id = $1 AND kind = 'REFUND'`, [order.orderId])).toBe(1);
    await eventually(async () => expect((await payoutOf(seller, order.orderId))?.status).toBe('AVAILABLE'), { timeoutMs: 15_000 });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 540 } });
    await h.published();
    expect(h.eventsOf('OrderRefunded', (p) => p.orderId === order.orderId)).toHaveLength(1);
  });
});

// --- cancellations --------------------------------------------------------------------------------

describe('cancelled orders', () => {
  test('before payment: the order leaves the payment, and the buyer pays only for the others', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1000 }] }, { lines: [{ categorySlug: 'books', amount: 500 }] }]);
    const payment = await h.openPayment(purchase);
    const [kept, cancelled] = purchase.orders;
    const event = await h.orderStatus(purchase, cancelled, 'CANCELLED');
    await h.bus.publish([event]); // redelivered: still once
    await h.bus.settled();
    const buyer = buyerViewer(purchase.buyerId);
    const paymentNow = async () =>
      (await h.ok<{ _entities: PaymentResult[] }>(buyer, ENTITIES, { representations: [{ __typename: 'Payment', id: payment.id }] }))._entities[0];
    expect(await paymentNow()).toMatchObject({ status: 'REQUIRES_PAYMENT', amount: { amount: 1000 } });

    await h.ok(buyer, CONFIRM, { id: payment.id, card: '4242424242424242' });
    await eventually(async () => expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)).toHaveLength(1));
    expect(h.eventsOf('PaymentSucceeded', (p) => p.paymentId === payment.id)[0].orderIds).toEqual([kept.orderId]);
    expect(await payoutOf(buyer, cancelled.orderId)).toBeNull();
    expect(await payoutOf(buyer, kept.orderId)).toMatchObject({ status: 'PENDING' });
    const charged = await h.query<{ sum: string }>(
      `SELECT sum(e.amount)::text AS sum FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
       WHERE t.payment_id = $1 AND e.account LIKE 'buyer:%'`,
      [payment.id],
    );
    expect(Number(charged[0].sum)).toBe(-1000);
  });

  test('before payment, every order: the payment is CANCELLED and cannot be paid', async () => {
    const purchase = purchaseOf([{ lines: [{ categorySlug: 'home-garden', amount: 1000 }] }, { lines: [{ categorySlug: 'books', amount: 500 }] }]);
    const payment = await h.openPayment(purchase);
    for (const order of purchase.orders) await h.orderStatus(purchase, order, 'CANCELLED');
    expect(codes(await h.call(buyerViewer(purchase.buyerId), CONFIRM, { id: payment.id, card: '4242424242424242' }))).toEqual(['CONFLICT']);
    expect(await h.query(`SELECT status, amount FROM payments WHERE id = $1`, [payment.id])).toEqual([{ status: 'CANCELLED', amount: 0 }]);
  });

  test('after payment: whatever was not refunded yet goes back, once', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(1000, sellerId);
    const seller = sellerViewer(sellerId);
    await h.ok(seller, REFUND, { orderId: order.orderId, amount: 300 });
    const cancelled = await h.orderStatus(purchase, order, 'CANCELLED');
    await eventually(async () => expect((await payoutOf(seller, order.orderId))?.status).toBe('REFUNDED'));
    expect(await payoutOf(seller, order.orderId)).toMatchObject({ refunded: { amount: 1000 } });
    expect(await balanceOf(seller, sellerId)).toMatchObject({ pending: { amount: 0 }, available: { amount: 0 } });
    await h.bus.publish([cancelled]);
    await h.orderStatus(purchase, order, 'CANCELLED');
    await h.published();
    expect(h.eventsOf('OrderRefunded', (p) => p.orderId === order.orderId).map((p) => [p.amount.amount, p.fullyRefunded])).toEqual([
      [300, false],
      [700, true],
    ]);
    expect(await h.count(`SELECT count(*) AS n FROM refunds WHERE order_id = $1`, [order.orderId])).toBe(2);
  });

  test('after payment, with a provider that fails at first: the redelivered event finishes the refund', async () => {
    const sellerId = randomUUID();
    const { purchase, order } = await h.paidOrder(500, sellerId);
    provider.failRefunds = 2;
    const calls = provider.refundCalls;
    await h.orderStatus(purchase, order, 'CANCELLED');
    await eventually(async () => expect((await payoutOf(sellerViewer(sellerId), order.orderId))?.status).toBe('REFUNDED'));
    expect(provider.refundCalls - calls).toBe(3);
    expect(await h.query(`SELECT amount, status FROM refunds WHERE order_id = $1`, [order.orderId])).toEqual([{ amount: 500, status: 'SUCCEEDED' }]);
    await h.published();
    expect(h.eventsOf('OrderRefunded', (p) => p.orderId === order.orderId)).toEqual([
      expect.objectContaining({ amount: { amount: 500, currency: 'USD' }, fullyRefunded: true }),
    ]);
  });
});

// --- the ledger, after everything above --------------------------------------------------------------

describe('the ledger', () => {
  test('every transaction sums to zero, and balances are the sums of entries', async () => {
    expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
    expect(await h.query(`SELECT currency, sum(amount)::int AS total FROM ledger_entries GROUP BY currency`)).toEqual([{ currency: 'USD', total: 0 }]);
    expect(await h.count(`SELECT count(*) AS n FROM ledger_transactions`)).toBeGreaterThan(20);

    // each order's money is where its record says: held, released or given back
    const orders = await h.query<{
      order_id: string;
      seller_id: string;
      net: number;
      platform_fee: number;
      refunded_amount: number;
      refunded_fee: number;
      released: boolean;
      transferred: boolean;
    }>(
      `SELECT order_id, seller_id, net, platform_fee, refunded_amount, refunded_fee, released_at IS NOT NULL AS released,
              transfer_ref IS NOT NULL AS transferred
       FROM payment_orders WHERE charged_at IS NOT NULL`,
    );
    const sums = await h.query<{ order_id: string; account: string; total: number }>(
      `SELECT order_id, split_part(account, ':', 1) AS account, sum(amount)::int AS total FROM ledger_entries WHERE order_id IS NOT NULL GROUP BY 1, 2`,
    );
    const sumOf = (orderId: string, account: string) => sums.find((s) => s.order_id === orderId && s.account === account)?.total ?? 0;
    for (const o of orders) {
      const netLeft = o.net - (o.refunded_amount - o.refunded_fee);
      const feeLeft = o.platform_fee - o.refunded_fee;
      const where = [sumOf(o.order_id, 'escrow'), sumOf(o.order_id, 'seller'), sumOf(o.order_id, 'paid-out')];
      expect(where).toEqual(!o.released ? [netLeft, 0, 0] : o.transferred ? [0, 0, netLeft] : [0, netLeft, 0]);
      expect([sumOf(o.order_id, 'fees-pending'), sumOf(o.order_id, 'platform-revenue')]).toEqual(o.released ? [0, feeLeft] : [feeLeft, 0]);
    }

    // every seller's balance, as the API shows it, is the sum of their accounts' entries
    const sellers = await h.query<{ seller_id: string }>(`SELECT DISTINCT seller_id FROM payment_orders`);
    for (const { seller_id: sellerId } of sellers) {
      const entrySum = async (account: string) =>
        Number((await h.query<{ s: string | null }>(`SELECT sum(amount)::text AS s FROM ledger_entries WHERE account = $1`, [account]))[0].s ?? 0);
      expect(await balanceOf(sellerViewer(sellerId), sellerId)).toEqual({
        pending: { amount: await entrySum(`escrow:${sellerId}`), currency: 'USD' },
        available: { amount: await entrySum(`seller:${sellerId}`), currency: 'USD' },
        paidOut: { amount: await entrySum(`paid-out:${sellerId}`), currency: 'USD' },
      });
    }
  });

  test('the database refuses unbalanced transactions and changes to entries', async () => {
    const [{ id: paymentId }] = await h.query<{ id: string }>(`SELECT id FROM payments LIMIT 1`);
    await expect(
      h.subgraph.db.transaction(async (manager) => {
        const [{ id }] = await manager.query(
          `INSERT INTO ledger_transactions (reference, kind, payment_id) VALUES ($1, 'CHARGE', $2) RETURNING id`,
          [`test:${randomUUID()}`, paymentId],
        );
        await manager.query(`INSERT INTO ledger_entries (transaction_id, account, currency, amount) VALUES ($1, 'buyer:x', 'USD', -5)`, [id]);
      }),
    ).rejects.toThrow(/does not balance/);
    await expect(h.query(`UPDATE ledger_entries SET amount = amount + 1`)).rejects.toThrow(/append-only/);
    await expect(h.query(`DELETE FROM ledger_entries`)).rejects.toThrow(/append-only/);
  });
});
