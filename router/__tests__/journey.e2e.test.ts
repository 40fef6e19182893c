import { randomUUID } from 'node:crypto';
import { codes } from '../../lib/client/graphql-client';
import { DEFAULT_PRIOR } from '../../lib/reputation-prior';
import { eventually } from '../../lib/testing/eventually';
import { TEST_ADDRESS, newListing, newSeller, signUp, stockOf } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * The journey every release must pass (the client contract), through the router over HTTP, with the
 * documents of schema/operations. Subscriptions are covered by their own tests.
 */
interface Money {
  amount: number;
  currency: string;
}
interface CheckoutResult {
  checkout: {
    id: string;
    total: Money;
    orders: { id: string; status: string; seller: { id: string }; total: Money }[];
    payment: { id: string; status: string; clientSecret: string; amount: Money };
  };
}
interface OrderResult {
  order: {
    id: string;
    status: string;
    statusHistory: { status: string }[];
    seller: { id: string; shopName: string };
    total: Money;
    payout: { platformFee: Money; net: Money; status: string } | null;
    review: { id: string; rating: number } | null;
  };
}

interface SellerShown {
  seller: { id: string; shopName: string; reputation: { score: number; reviewCount: number } };
}

/** Where a seller nobody has reviewed stands. */
const PRIOR_MEAN = DEFAULT_PRIOR.mean;

let stack: TestStack;

/** The first listing a search for `title` finds, as a buyer's results page shows it. */
async function sellerOfListingFound(title: string): Promise<SellerShown> {
  const { listings } = await stack.client.ok<{ listings: { edges: { node: SellerShown & { title: string } }[] } }>('SearchListings', { query: title });
  const found = listings.edges.find((edge) => edge.node.title === title);
  if (!found) throw new Error(`no listing titled ${title}`);
  return found.node;
}

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

test('the contract journey, from sign-up to review, refund and refusals', async () => {
  // 1–2. two sellers list goods
  const seller1 = await newSeller(stack.client, { shopName: 'Journey Lamps' });
  const lamp = await newListing(seller1.client, { title: 'Journey brass lamp', stock: 3, price: { amount: 2500, currency: 'USD' } });
  const vase = await newListing(seller1.client, { title: 'Journey glass vase', stock: 5, price: { amount: 4000, currency: 'USD' } });
  const seller2 = await newSeller(stack.client, { shopName: 'Journey Books' });
  const atlas = await newListing(seller2.client, {
    title: 'Journey atlas',
    stock: 2,
    price: { amount: 1800, currency: 'USD' },
    category: 'books',
  });

  // 3. a buyer finds them
  const buyer = await signUp(stack.client, 'Journey Buyer', { address: false });
  const search = await buyer.client.ok<{ listings: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { endCursor: string } } }>(
    'SearchListings',
    { query: 'journey', first: 2 },
  );
  expect(search.listings.totalCount).toBe(3);
  const page2 = await buyer.client.ok<{ listings: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } }>(
    'SearchListings',
    { query: 'journey', first: 2, after: search.listings.pageInfo.endCursor },
  );
  expect([...search.listings.edges, ...page2.listings.edges].map((e) => e.node.id).sort()).toEqual([lamp, vase, atlas].sort());
  const filtered = await buyer.client.ok<{ listings: { edges: { node: { id: string } }[] } }>('SearchListings', {
    query: 'journey',
    filter: { category: 'books', maxPrice: 2000 },
  });
  expect(filtered.listings.edges.map((e) => e.node.id)).toEqual([atlas]);
  // the seller's shop name and reputation come with each listing, from listings' copies
  expect((await sellerOfListingFound('Journey atlas')).seller).toEqual({
    id: seller2.sellerId,
    shopName: 'Journey Books',
    reputation: { score: PRIOR_MEAN, reviewCount: 0 },
  });

  // 4. one checkout across both sellers; the goods ship, so (since contract v2) the buyer needs an
  // address: without one the checkout is refused and reserves nothing
  const key = randomUUID();
  const items = [
    { listingId: lamp, quantity: 2 },
    { listingId: atlas, quantity: 1 },
  ];
  const homeless = await buyer.client.op('Checkout', { input: { items, idempotencyKey: randomUUID() } });
  expect(homeless.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shippingAddress' });
  expect(await stockOf(buyer.client, lamp)).toBe(3);
  await buyer.client.ok('AddAddress', { input: TEST_ADDRESS });
  const { checkout } = await buyer.client.ok<CheckoutResult>('Checkout', { input: { items, idempotencyKey: key } });
  expect(checkout.orders).toHaveLength(2);
  expect(checkout.total).toEqual({ amount: 2 * 2500 + 1800, currency: 'USD' });
  expect(checkout.payment.clientSecret).toBeTruthy();
  const again = await buyer.client.ok<CheckoutResult>('Checkout', { input: { items, idempotencyKey: key } });
  expect(again.checkout.id).toBe(checkout.id);
  expect(await stockOf(buyer.client, lamp)).toBe(1);
  expect(await stockOf(buyer.client, atlas)).toBe(1);
  const order1 = checkout.orders.find((o) => o.seller.id === seller1.sellerId)!;
  const order2 = checkout.orders.find((o) => o.seller.id === seller2.sellerId)!;

  // 10. a review before delivery is refused
  const early = await buyer.client.op('CreateReview', { input: { orderId: order1.id, rating: 5, body: 'Too soon' } });
  expect(codes(early)).toEqual(['CONFLICT']);

  // 6. pay: a declined card changes nothing, then 4242 pays both orders
  const declined = await buyer.client.op('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4000 0000 0000 0002' });
  expect(codes(declined)).toEqual(['PAYMENT_DECLINED']);
  expect((await buyer.client.ok<OrderResult>('Order', { id: order1.id })).order.status).toBe('PENDING_PAYMENT');
  const paid = await buyer.client.ok<{ confirmTestPayment: { status: string } }>('ConfirmTestPayment', {
    paymentId: checkout.payment.id,
    card: '4242424242424242',
  });
  expect(paid.confirmTestPayment.status).toBe('SUCCEEDED');
  for (const order of [order1, order2]) {
    await eventually(async () => expect((await buyer.client.ok<OrderResult>('Order', { id: order.id })).order.status).toBe('PAID'));
  }

  // 10. the wrong people are refused
  const stranger = await signUp(stack.client);
  expect(codes(await stranger.client.op('Order', { id: order1.id }))).toEqual(['FORBIDDEN']);
  expect(codes(await buyer.client.op('AcceptOrder', { id: order1.id }))).toEqual(['FORBIDDEN']);
  expect(codes(await seller2.client.op('AcceptOrder', { id: order1.id }))).toEqual(['FORBIDDEN']);
  expect(codes(await seller2.client.op('UpdateListing', { id: lamp, input: { title: 'Mine now' } }))).toEqual(['FORBIDDEN']);

  // 7. seller 1 accepts and ships; the buyer confirms delivery; escrow releases
  await seller1.client.ok('AcceptOrder', { id: order1.id });
  expect(codes(await buyer.client.op('ShipOrder', { id: order1.id }))).toEqual(['FORBIDDEN']);
  await seller1.client.ok('ShipOrder', { id: order1.id, trackingNumber: 'TRACK-1' });
  await buyer.client.ok('ConfirmDelivery', { id: order1.id });
  const completed = await eventually(async () => {
    const { order } = await seller1.client.ok<OrderResult>('Order', { id: order1.id });
    expect(order.status).toBe('COMPLETED');
    return order;
  });
  expect(completed.statusHistory.map((h) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'ACCEPTED', 'SHIPPED', 'DELIVERED', 'COMPLETED']);
  expect(completed.payout?.status).toBe('AVAILABLE');
  expect(completed.payout!.net.amount + completed.payout!.platformFee.amount).toBe(5000);
  const balance = await seller1.client.ok<{ me: { seller: { balance: { pending: Money; available: Money } } } }>('SellerBalance');
  expect(balance.me.seller.balance.available).toEqual(completed.payout!.net);
  expect(balance.me.seller.balance.pending.amount).toBe(0);

  // 8. one review per delivered order, feeding reputation
  const review = await buyer.client.ok<{ createReview: { rating: number; author: { id: string } } }>('CreateReview', {
    input: { orderId: order1.id, rating: 5, body: 'Lovely lamps' },
  });
  expect(review.createReview).toMatchObject({ rating: 5, author: { id: buyer.userId } });
  const reputation = await stack.client.ok<{ seller: { reputation: { reviewCount: number; averageRating: number } } }>('SellerReputation', {
    sellerId: seller1.sellerId,
  });
  expect(reputation.seller.reputation).toMatchObject({ reviewCount: 1, averageRating: 5 });
  // search shows the new reputation once listings' copy has the event
  await eventually(async () => {
    const found = await sellerOfListingFound('Journey brass lamp');
    expect(found.seller).toEqual({ id: seller1.sellerId, shopName: 'Journey Lamps', reputation: { score: expect.any(Number), reviewCount: 1 } });
    expect(found.seller.reputation.score).toBeGreaterThan(PRIOR_MEAN);
  });
  const second = await buyer.client.op('CreateReview', { input: { orderId: order1.id, rating: 4, body: 'Again' } });
  expect(codes(second)).toEqual(['CONFLICT']);

  // 9. seller 2 cancels before shipping: stock back, buyer refunded
  const cancelled = await seller2.client.ok<{ cancelOrder: { status: string } }>('CancelOrder', { id: order2.id, reason: 'Out of print' });
  expect(cancelled.cancelOrder.status).toBe('CANCELLED');
  await eventually(async () => expect(await stockOf(buyer.client, atlas)).toBe(2));
  await eventually(async () => {
    const { order } = await buyer.client.ok<OrderResult>('Order', { id: order2.id });
    expect(order.payout?.status).toBe('REFUNDED');
  });
  expect(codes(await buyer.client.op('ConfirmDelivery', { id: order2.id }))).toEqual(['CONFLICT']);
});
