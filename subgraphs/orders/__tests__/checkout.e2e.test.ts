import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { newListing, newSeller, signUp, stockOf, type TestUser } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';

interface PurchaseResult {
  checkout: {
    id: string;
    total: { amount: number; currency: string };
    orders: {
      id: string;
      status: string;
      seller: { id: string };
      total: { amount: number; currency: string };
      items: { listing: { id: string; title: string }; quantity: number; unitPrice: { amount: number } }[];
    }[];
    payment: { id: string; status: string; clientSecret: string; amount: { amount: number; currency: string } };
  };
}

let stack: TestStack;
let seller1: TestUser;
let seller2: TestUser;
let euroSeller: TestUser;
let buyer: TestUser;
let lamp: string; // seller 1, stock 3, $15.00
let vase: string; // seller 1, stock 5, $20.00
let book: string; // seller 2, stock 2, $9.99
let euroItem: string;

beforeAll(async () => {
  // fifty checkouts of one listing below queue on its row lock: on a loaded test machine the last of
  // them waits longer than the default 10 s that the router and orders give a subgraph before
  // answering SERVICE_UNAVAILABLE, which is right for a stuck peer and not what this file measures
  stack = await startTestStack({ env: { ...process.env, SUBGRAPH_TIMEOUT_MS: '60000', PEER_TIMEOUT_MS: '60000' } });
  [seller1, seller2, euroSeller, buyer] = await Promise.all([
    newSeller(stack.client),
    newSeller(stack.client),
    newSeller(stack.client, { currency: 'EUR' }),
    signUp(stack.client),
  ]);
  lamp = await newListing(seller1.client, { title: 'Brass lamp', stock: 3, price: { amount: 1500, currency: 'USD' } });
  vase = await newListing(seller1.client, { title: 'Glass vase', stock: 5, price: { amount: 2000, currency: 'USD' } });
  book = await newListing(seller2.client, { title: 'Old atlas', stock: 2, price: { amount: 999, currency: 'USD' }, category: 'books' });
  euroItem = await newListing(euroSeller.client, { title: 'Euro clock', price: { amount: 500, currency: 'EUR' } });
});
afterAll(() => stack?.stop());

const purchaseCount = async () => Number((await stack.subgraphs.orders.db.query('SELECT count(*) AS n FROM purchases'))[0].n);
const checkout = (user: TestUser, items: { listingId: string; quantity: number }[], idempotencyKey: string = randomUUID()) =>
  user.client.op<PurchaseResult>('Checkout', { input: { items, idempotencyKey } });

test('a cart across two sellers is one purchase with one order per seller, priced by listings, with a payment', async () => {
  const key = randomUUID();
  const result = await checkout(buyer, [{ listingId: lamp, quantity: 2 }, { listingId: book, quantity: 1 }], key);
  expect(result.errors).toBeUndefined();
  const purchase = result.data!.checkout;
  expect(purchase.total).toEqual({ amount: 2 * 1500 + 999, currency: 'USD' });
  expect(purchase.orders).toHaveLength(2);
  const bySeller = new Map(purchase.orders.map((o) => [o.seller.id, o]));
  expect(bySeller.get(seller1.sellerId!)).toMatchObject({
    status: 'PENDING_PAYMENT',
    total: { amount: 3000, currency: 'USD' },
    items: [{ listing: { id: lamp, title: 'Brass lamp' }, quantity: 2, unitPrice: { amount: 1500 } }],
  });
  expect(bySeller.get(seller2.sellerId!)?.total.amount).toBe(999);
  expect(purchase.payment).toMatchObject({ status: 'REQUIRES_PAYMENT', amount: { amount: 3999, currency: 'USD' } });
  expect(purchase.payment.clientSecret).toMatch(/\w+/);
  expect(await stockOf(stack.client, lamp)).toBe(1);
  expect(await stockOf(stack.client, book)).toBe(1);

  // the same key again: the same purchase, nothing reserved twice
  const again = await checkout(buyer, [{ listingId: book, quantity: 1 }, { listingId: lamp, quantity: 2 }], key);
  expect(again.data?.checkout.id).toBe(purchase.id);
  expect(again.data?.checkout.payment.id).toBe(purchase.payment.id);
  expect(await stockOf(stack.client, lamp)).toBe(1);

  // the same key for another cart is a mistake
  const other = await checkout(buyer, [{ listingId: vase, quantity: 1 }], key);
  expect(codes(other)).toEqual(['CONFLICT']);
});

test('not enough stock for one item reserves nothing at all', async () => {
  const before = { lamp: await stockOf(stack.client, lamp), vase: await stockOf(stack.client, vase), purchases: await purchaseCount() };
  const result = await checkout(buyer, [{ listingId: vase, quantity: 1 }, { listingId: lamp, quantity: before.lamp + 1 }]);
  expect(codes(result)).toEqual(['INSUFFICIENT_STOCK']);
  expect(result.errors?.[0].extensions?.listingIds).toEqual([lamp]);
  expect(await stockOf(stack.client, vase)).toBe(before.vase);
  expect(await stockOf(stack.client, lamp)).toBe(before.lamp);
  expect(await purchaseCount()).toBe(before.purchases);
});

test.each([
  ['a seller buying their own listing', () => checkout(seller1, [{ listingId: vase, quantity: 1 }])],
  ['two currencies in one cart', () => checkout(buyer, [{ listingId: vase, quantity: 1 }, { listingId: euroItem, quantity: 1 }])],
  ['a quantity of zero', () => checkout(buyer, [{ listingId: vase, quantity: 0 }])],
  ['a listing that does not exist', () => checkout(buyer, [{ listingId: randomUUID(), quantity: 1 }])],
  ['an empty cart', () => checkout(buyer, [])],
  ['an empty idempotency key', () => checkout(buyer, [{ listingId: vase, quantity: 1 }], ' ')],
])('%s is BAD_USER_INPUT and changes nothing', async (_case, run) => {
  const before = { vase: await stockOf(stack.client, vase), purchases: await purchaseCount() };
  expect(codes(await run())).toEqual(['BAD_USER_INPUT']);
  expect(await stockOf(stack.client, vase)).toBe(before.vase);
  expect(await purchaseCount()).toBe(before.purchases);
});

test('checkout needs a signed-in buyer', async () => {
  const result = await stack.client.op('Checkout', { input: { items: [{ listingId: vase, quantity: 1 }], idempotencyKey: randomUUID() } });
  expect(codes(result)).toEqual(['UNAUTHENTICATED']);
});

test('50 concurrent checkouts of a listing with stock 5 sell exactly 5 units', async () => {
  const scarce = await newListing(seller2.client, { title: 'Limited print', stock: 5, category: 'art-collectibles' });
  const buyers = await Promise.all(Array.from({ length: 5 }, () => signUp(stack.client)));
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => checkout(buyers[i % buyers.length], [{ listingId: scarce, quantity: 1 }])),
  );
  // every outcome counted, so that a failure says what the others were
  const outcomes: Record<string, number> = {};
  for (const result of results) {
    const outcome = result.data?.checkout ? 'sold' : (codes(result).join(',') || 'nothing');
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  expect(outcomes).toEqual({ sold: 5, INSUFFICIENT_STOCK: 45 });
  expect(await stockOf(stack.client, scarce)).toBe(0);
  const [{ sum }] = await stack.subgraphs.listings.db.query(
    `SELECT coalesce(sum(quantity), 0)::int AS sum FROM stock_reservations WHERE listing_id = $1`,
    [scarce],
  );
  expect(sum).toBe(5);
});

test('concurrent retries with one key make one purchase and reserve once', async () => {
  const item = await newListing(seller2.client, { title: 'Retry magnet', stock: 10, category: 'toys-games' });
  const key = randomUUID();
  const results = await Promise.all(Array.from({ length: 8 }, () => checkout(buyer, [{ listingId: item, quantity: 3 }], key)));
  const ids = new Set(results.map((r) => r.data?.checkout.id));
  expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
  expect(ids.size).toBe(1);
  expect(await stockOf(stack.client, item)).toBe(7);
});

test('MyOrders and SellerOrders page newest first through every order, and refuse foreign cursors', async () => {
  const shopper = await signUp(stack.client);
  const shop = await newSeller(stack.client);
  const item = await newListing(shop.client, { title: 'Paged candle', stock: 10 });
  const made: string[] = [];
  for (let i = 0; i < 3; i++) made.unshift((await checkout(shopper, [{ listingId: item, quantity: 1 }])).data!.checkout.orders[0].id);

  type Page = { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
  const first = (await shopper.client.ok<{ myOrders: Page }>('MyOrders', { first: 2 })).myOrders;
  expect(first).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
  const rest = (await shopper.client.ok<{ myOrders: Page }>('MyOrders', { first: 2, after: first.pageInfo.endCursor })).myOrders;
  expect(rest.pageInfo.hasNextPage).toBe(false);
  expect([...first.edges, ...rest.edges].map((e) => e.node.id)).toEqual(made);

  const sellers = (await shop.client.ok<{ sellerOrders: Page }>('SellerOrders', { status: 'PENDING_PAYMENT', first: 5 })).sellerOrders;
  expect(sellers.edges.map((e) => e.node.id)).toEqual(made);
  expect(codes(await shop.client.op('SellerOrders', { after: first.pageInfo.endCursor }))).toEqual(['BAD_USER_INPUT']);
});
