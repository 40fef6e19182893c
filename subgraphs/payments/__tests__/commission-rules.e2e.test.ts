import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import { codes } from '../../../lib/client/graphql-client';
import { eventually } from '../../../lib/testing/eventually';
import { unbalancedTransactions } from '../ledger';
import { buyerViewer, CREATE, ORDERS_SERVICE, purchaseOf, sellerViewer, startPayments, type PaymentsHarness } from './harness';

/**
 * Commission rules kept in the database: seeded from the environment, set by operators, versioned by
 * effectiveFrom; each order's rate fixed when it is created and shown from then on; volume tiers by
 * the seller's completed sales; no commission on shipping. Category rates, which listings must
 * recognise, are set through the router (router/__tests__/payouts.e2e.test.ts).
 */

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPayments({ env: { PLATFORM_FEE_BPS: '1000', PLATFORM_FEE_RULES: 'books=500' } });
});

afterAll(() => h?.stop());

afterEach(async () => {
  expect(await h.subgraph.db.transaction((m) => unbalancedTransactions(m))).toEqual([]);
});

const OPERATOR: Viewer = { userId: randomUUID(), roles: ['buyer', 'operator'], scopes: ['buyer', 'operator'] };

const RULES = `query { commissionRules { defaultRateBps categories { category { slug } rateBps } tiers { currency fromAmount rateBps } effectiveFrom } }`;
const SET = `mutation ($input: CommissionRulesInput!) {
  setCommissionRules(input: $input) { defaultRateBps categories { category { slug } rateBps } tiers { currency fromAmount rateBps } effectiveFrom }
}`;
const FEES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Order { payout { platformFee { amount } net { amount } rateBps status } }
    ... on Seller { commission { rateBps salesLast30Days { amount currency } } }
  }
}`;

interface Fees {
  platformFee: { amount: number };
  net: { amount: number };
  rateBps: number;
  status: string;
}

async function feesOf(orderId: string, viewer: Viewer): Promise<Fees | null> {
  const { _entities } = await h.ok<{ _entities: { payout: Fees | null }[] }>(viewer, FEES, { representations: [{ __typename: 'Order', id: orderId }] });
  return _entities[0].payout;
}

async function commissionOf(sellerId: string) {
  const { _entities } = await h.ok<{ _entities: { commission: { rateBps: number; salesLast30Days: { amount: number; currency: string } } | null }[] }>(
    sellerViewer(sellerId),
    FEES,
    { representations: [{ __typename: 'Seller', id: sellerId }] },
  );
  return _entities[0].commission;
}

/** An order created now (checkout opening its payment), unpaid. */
async function newOrder(sellerId: string, lines: { categorySlug: string; amount: number }[], shipping?: number) {
  const purchase = purchaseOf([{ sellerId, lines }]);
  if (shipping !== undefined) (purchase.input.orders as { shipping?: number }[])[0].shipping = shipping;
  await h.ok(ORDERS_SERVICE, CREATE, { input: purchase.input });
  return purchase;
}

const ruleSets = () => h.count(`SELECT count(*) AS n FROM commission_rule_sets`);

describe('commission rules', () => {
  test('the first rules come from the environment, and anyone may read them', async () => {
    expect((await h.ok<{ commissionRules: unknown }>(null, RULES)).commissionRules).toEqual({
      defaultRateBps: 1000,
      categories: [{ category: { slug: 'books' }, rateBps: 500 }],
      tiers: [],
      effectiveFrom: new Date(0).toISOString(),
    });
  });

  test('an order’s fee is known from its creation, to its buyer and seller only, on items and not on shipping', async () => {
    const sellerId = randomUUID();
    const purchase = await newOrder(sellerId, [{ categorySlug: 'home-garden', amount: 4000 }], 700);
    const orderId = purchase.orders[0].orderId;
    const fees = { platformFee: { amount: 400 }, net: { amount: 4300 }, rateBps: 1000, status: 'PENDING' };
    expect(await feesOf(orderId, buyerViewer(purchase.buyerId))).toEqual(fees);
    expect(await feesOf(orderId, sellerViewer(sellerId))).toEqual(fees);
    expect(await feesOf(orderId, sellerViewer(randomUUID()))).toBeNull();
    expect(await feesOf(orderId, buyerViewer(randomUUID()))).toBeNull();
    // items in categories of different rates: the fee line by line, the rate weighted by amount
    const mixed = await newOrder(sellerId, [
      { categorySlug: 'books', amount: 1000 },
      { categorySlug: 'toys', amount: 3000 },
    ]);
    expect(await feesOf(mixed.orders[0].orderId, sellerViewer(sellerId))).toMatchObject({ platformFee: { amount: 350 }, rateBps: 875 });
  });

  test('operators set new rules: orders created from then on get them, earlier ones keep theirs', async () => {
    const sellerId = randomUUID();
    const before = await newOrder(sellerId, [{ categorySlug: 'toys', amount: 1000 }]);
    const { setCommissionRules } = await h.ok<{ setCommissionRules: { defaultRateBps: number; effectiveFrom: string } }>(OPERATOR, SET, {
      input: { defaultRateBps: 800 },
    });
    expect(setCommissionRules.defaultRateBps).toBe(800);
    expect(Date.now() - Date.parse(setCommissionRules.effectiveFrom)).toBeLessThan(60_000);
    // the call replaces the whole set: no categories, no tiers
    expect((await h.ok<{ commissionRules: { categories: unknown[]; defaultRateBps: number } }>(null, RULES)).commissionRules).toMatchObject({
      defaultRateBps: 800,
      categories: [],
    });
    const after = await newOrder(sellerId, [{ categorySlug: 'toys', amount: 1000 }]);
    expect(await feesOf(before.orders[0].orderId, sellerViewer(sellerId))).toMatchObject({ rateBps: 1000, platformFee: { amount: 100 } });
    expect(await feesOf(after.orders[0].orderId, sellerViewer(sellerId))).toMatchObject({ rateBps: 800, platformFee: { amount: 80 } });
  });

  test('rules effective later change nothing until then; a set not yet in force may be replaced', async () => {
    const sellerId = randomUUID();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    await h.ok(OPERATOR, SET, { input: { defaultRateBps: 2000, effectiveFrom: tomorrow } });
    await h.ok(OPERATOR, SET, { input: { defaultRateBps: 2500, effectiveFrom: tomorrow } });
    expect(await h.count(`SELECT count(*) AS n FROM commission_rule_sets WHERE effective_from > now()`)).toBe(1);
    expect((await h.ok<{ commissionRules: { defaultRateBps: number } }>(null, RULES)).commissionRules.defaultRateBps).toBe(800);
    const now = await newOrder(sellerId, [{ categorySlug: 'toys', amount: 1000 }]);
    expect(await feesOf(now.orders[0].orderId, sellerViewer(sellerId))).toMatchObject({ rateBps: 800 });
    await h.query(`DELETE FROM commission_rule_sets WHERE effective_from > now()`);
  });

  test('volume tiers: the seller’s completed sales over 30 days, in their currency, choose the rate', async () => {
    await h.ok(OPERATOR, SET, {
      input: {
        defaultRateBps: 1000,
        tiers: [
          { currency: 'USD', fromAmount: 10_000, rateBps: 700 },
          { currency: 'usd', fromAmount: 0, rateBps: 1200 },
        ],
      },
    });
    const sellerId = randomUUID();
    expect(await commissionOf(sellerId)).toEqual({ rateBps: 1200, salesLast30Days: { amount: 0, currency: 'USD' } });
    // 12,000 of sales completed: 8,000 and 4,000 of items, shipping not counted
    for (const [amount, shipping] of [
      [8000, 500],
      [4000, 0],
    ]) {
      const purchase = purchaseOf([{ sellerId, lines: [{ categorySlug: 'toys', amount }] }]);
      (purchase.input.orders as { shipping?: number }[])[0].shipping = shipping;
      const payment = await h.openPayment(purchase);
      await h.ok(buyerViewer(purchase.buyerId), `mutation ($id: ID!) { confirmTestPayment(paymentId: $id, card: "4242424242424242") { id } }`, { id: payment.id });
      await h.orderStatus(purchase, purchase.orders[0], 'DELIVERED');
    }
    await eventually(async () => expect(await commissionOf(sellerId)).toEqual({ rateBps: 700, salesLast30Days: { amount: 12_000, currency: 'USD' } }));
    const next = await newOrder(sellerId, [{ categorySlug: 'toys', amount: 1000 }]);
    expect(await feesOf(next.orders[0].orderId, sellerViewer(sellerId))).toMatchObject({ rateBps: 700, platformFee: { amount: 70 } });
    // sales older than 30 days no longer count
    await h.query(`UPDATE payment_orders SET released_at = released_at - interval '31 days' WHERE seller_id = $1`, [sellerId]);
    expect(await commissionOf(sellerId)).toMatchObject({ rateBps: 1200, salesLast30Days: { amount: 0 } });
  });

  test('bad rules are refused with the field named, and nothing changes', async () => {
    const sets = await ruleSets();
    const cases: [Record<string, unknown>, string][] = [
      [{ defaultRateBps: 5001 }, 'input.defaultRateBps'],
      [{ defaultRateBps: -1 }, 'input.defaultRateBps'],
      [{ defaultRateBps: 500, tiers: [{ currency: 'USD', fromAmount: 100, rateBps: 500 }] }, 'input.tiers.fromAmount'],
      [
        {
          defaultRateBps: 500,
          tiers: [
            { currency: 'USD', fromAmount: 0, rateBps: 500 },
            { currency: 'USD', fromAmount: 0, rateBps: 400 },
          ],
        },
        'input.tiers.fromAmount',
      ],
      [{ defaultRateBps: 500, tiers: [{ currency: 'XX1', fromAmount: 0, rateBps: 500 }] }, 'input.tiers.currency'],
      [{ defaultRateBps: 500, tiers: [{ currency: 'USD', fromAmount: 0, rateBps: 6000 }] }, 'input.tiers.rateBps'],
      [{ defaultRateBps: 500, categories: [{ category: 'Not A Slug', rateBps: 100 }] }, 'input.categories.category'],
      [
        {
          defaultRateBps: 500,
          categories: [
            { category: 'books', rateBps: 100 },
            { category: 'books', rateBps: 200 },
          ],
        },
        'input.categories.category',
      ],
      [{ defaultRateBps: 500, effectiveFrom: '2020-01-01T00:00:00Z' }, 'input.effectiveFrom'],
      [{ defaultRateBps: 500, effectiveFrom: '2099-01-01T00:00:00Z' }, 'input.effectiveFrom'],
    ];
    for (const [input, field] of cases) {
      const result = await h.call(OPERATOR, SET, { input });
      expect({ input, codes: codes(result), field: result.errors?.[0].extensions?.field }).toEqual({ input, codes: ['BAD_USER_INPUT'], field });
    }
    expect(await ruleSets()).toBe(sets);
  });

  test('only operators set rules; only the seller themself sees their commission', async () => {
    const sets = await ruleSets();
    const input = { defaultRateBps: 100 };
    expect(codes(await h.call(null, SET, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await h.call(buyerViewer(randomUUID()), SET, { input }))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(sellerViewer(randomUUID()), SET, { input }))).toEqual(['FORBIDDEN']);
    expect(await ruleSets()).toBe(sets);
    const sellerId = randomUUID();
    const { _entities } = await h.ok<{ _entities: { commission: unknown }[] }>(sellerViewer(randomUUID()), FEES, {
      representations: [{ __typename: 'Seller', id: sellerId }],
    });
    expect(_entities[0].commission).toBeNull();
  });
});
