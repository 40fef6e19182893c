import { randomUUID } from 'node:crypto';
import { codes } from '../../../lib/client/graphql-client';
import { isEvent, type MarketplaceEvent } from '../../../lib/events/catalog';
import type { EventEnvelope } from '../../../lib/events/types';
import { eventually } from '../../../lib/testing/eventually';
import { MAX_BODY } from '../service';
import {
  buyerViewer,
  CREATE_REVIEW,
  lifeUpTo,
  newOrder,
  ORDERS,
  REVIEWS,
  SELLERS,
  sellerViewer,
  startReputation,
  statusChanged,
  type ReputationHarness,
  type TestOrder,
} from './harness';

let h: ReputationHarness;
const published: EventEnvelope[] = [];
beforeAll(async () => {
  h = await startReputation();
  // what reputation publishes, as any other subgraph would receive it
  await h.bus.subscribe('observer', async (event) => {
    published.push(event);
  });
});
afterAll(() => h?.stop());

interface ReviewResult {
  id: string;
  rating: number;
  body: string;
  createdAt: string;
  author: { id: string };
  seller: { id: string };
  order: { id: string };
}
interface SellerResult {
  id: string;
  reputation: { score: number; averageRating: number | null; reviewCount: number; ratingDistribution: { rating: number; count: number }[] };
  reviews: {
    totalCount: number;
    edges: { cursor: string; node: ReviewResult }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const q = (sql: string, ...ids: string[]) => h.sql(sql, ...ids);
const count = async (sql: string, ...ids: string[]) => Number((await q(sql, ...ids))[0].n);
const reviewsOf = (orderId: string) => count(`SELECT count(*) AS n FROM reviews WHERE order_id = $1`, orderId);
const knownStatus = async (orderId: string) => (await q(`SELECT status FROM known_orders WHERE id = $1`, orderId))[0]?.status;

/** Publishes as orders would and waits until the read model shows `status`. */
async function publish(events: EventEnvelope[], orderId: string, status: string) {
  await h.bus.publish(events);
  await eventually(async () => expect(await knownStatus(orderId)).toBe(status));
}

async function deliveredOrder(overrides: Partial<TestOrder> = {}): Promise<TestOrder> {
  const order = newOrder(overrides);
  await publish(lifeUpTo(order, 'DELIVERED'), order.orderId, 'DELIVERED');
  return order;
}

const review = (order: TestOrder, rating: number, body = 'Fine', as = buyerViewer(order.buyerId)) =>
  h.call<{ createReview: ReviewResult }>(as, CREATE_REVIEW, { input: { orderId: order.orderId, rating, body } });

async function sellers(ids: string[], page: { first?: number; after?: string } = {}): Promise<SellerResult[]> {
  const result = await h.call<{ _entities: SellerResult[] }>(null, SELLERS, {
    representations: ids.map((id) => ({ __typename: 'Seller', id })),
    ...page,
  });
  expect(result.errors).toBeUndefined();
  return result.data!._entities;
}

const reputationEvents = (sellerId: string) =>
  published.filter(
    (e): e is MarketplaceEvent<'SellerReputationChanged'> => isEvent(e, 'SellerReputationChanged') && e.payload.sellerId === sellerId,
  );

describe('who may review which order, and when', () => {
  test('before delivery the buyer gets CONFLICT; once DELIVERED the review is stored and returned', async () => {
    const order = newOrder();
    await publish(lifeUpTo(order, 'SHIPPED'), order.orderId, 'SHIPPED');
    expect(codes(await review(order, 5))).toEqual(['CONFLICT']);
    expect(await reviewsOf(order.orderId)).toBe(0);

    await publish([statusChanged(order, 'DELIVERED', new Date(Date.now() + 60_000), 'SHIPPED')], order.orderId, 'DELIVERED');
    const result = await review(order, 5, '  Lovely lamp, fast shipping.  ');
    expect(result.errors).toBeUndefined();
    expect(result.data!.createReview).toMatchObject({
      rating: 5,
      body: 'Lovely lamp, fast shipping.',
      author: { id: order.buyerId },
      seller: { id: order.sellerId },
      order: { id: order.orderId },
    });
    expect(await reviewsOf(order.orderId)).toBe(1);
  });

  test('a COMPLETED order can be reviewed; CANCELLED and REFUNDED ones cannot', async () => {
    const completed = newOrder();
    await publish(lifeUpTo(completed, 'COMPLETED'), completed.orderId, 'COMPLETED');
    expect(codes(await review(completed, 4))).toEqual([]);

    const cancelled = newOrder();
    await publish([...lifeUpTo(cancelled, 'PAID'), statusChanged(cancelled, 'CANCELLED', new Date(Date.now() + 9000), 'PAID')], cancelled.orderId, 'CANCELLED');
    expect(codes(await review(cancelled, 4))).toEqual(['CONFLICT']);

    const refunded = newOrder();
    await publish([statusChanged(refunded, 'REFUNDED', new Date(Date.now() + 9000), 'DELIVERED')], refunded.orderId, 'REFUNDED');
    expect(codes(await review(refunded, 4))).toEqual(['CONFLICT']);
  });

  test('an order reputation has not heard of yet is CONFLICT (not delivered yet); an id that is no UUID is NOT_FOUND', async () => {
    const unknown = newOrder();
    expect(codes(await review(unknown, 5))).toEqual(['CONFLICT']);
    expect(codes(await h.call(buyerViewer(unknown.buyerId), CREATE_REVIEW, { input: { orderId: 'order-1', rating: 5, body: '' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  test('only the buyer: another buyer and the seller are FORBIDDEN, anonymous is UNAUTHENTICATED', async () => {
    const order = await deliveredOrder();
    expect(codes(await review(order, 5, 'x', buyerViewer(randomUUID())))).toEqual(['FORBIDDEN']);
    expect(codes(await review(order, 1, 'x', sellerViewer(randomUUID(), order.sellerId)))).toEqual(['FORBIDDEN']);
    expect(codes(await h.call(null, CREATE_REVIEW, { input: { orderId: order.orderId, rating: 5, body: '' } }))).toEqual(['UNAUTHENTICATED']);
    expect(await reviewsOf(order.orderId)).toBe(0);
    expect(codes(await review(order, 5))).toEqual([]);
  });

  test('once per order: a second review is CONFLICT and the first stays as it was', async () => {
    const order = await deliveredOrder();
    const first = await review(order, 4, 'Good');
    expect(first.errors).toBeUndefined();
    expect(codes(await review(order, 1, 'Changed my mind'))).toEqual(['CONFLICT']);
    expect(await q(`SELECT rating, body FROM reviews WHERE order_id = $1`, order.orderId)).toEqual([{ rating: 4, body: 'Good' }]);
  });

  test('concurrent reviews of one order: exactly one is stored, the others are CONFLICT', async () => {
    const order = await deliveredOrder();
    const results = await Promise.all([1, 2, 3, 4, 5].map((rating) => review(order, rating, `Attempt ${rating}`)));
    const outcomes = results.map((r) => (r.errors ? codes(r)[0] : 'ok')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'ok']);
    expect(await reviewsOf(order.orderId)).toBe(1);
    // and one event: the refused attempts rolled back with theirs
    await eventually(async () => expect(reputationEvents(order.sellerId)).toHaveLength(1));
    await h.bus.settled();
    expect(reputationEvents(order.sellerId)).toHaveLength(1);
  });

  test("concurrent reviews of one seller's orders: each event counts every review committed before it", async () => {
    const sellerId = randomUUID();
    const orders = await Promise.all([1, 2, 3, 4].map(() => deliveredOrder({ sellerId })));
    const results = await Promise.all(orders.map((order, i) => review(order, i + 2)));
    expect(results.flatMap(codes)).toEqual([]);
    const events = await eventually(async () => {
      const seen = reputationEvents(sellerId);
      expect(seen).toHaveLength(4);
      return seen;
    });
    // ordered by `at`, the counts go 1, 2, 3, 4: none was computed without a review committed before it
    const byTime = [...events].sort((a, b) => a.payload.at.localeCompare(b.payload.at));
    expect(byTime.map((e) => e.payload.reviewCount)).toEqual([1, 2, 3, 4]);
    // (10 · 3.5 + 2 + 3 + 4 + 5) / 14
    expect(byTime[3].payload.score).toBe(3.5);
  });

  test.each([
    ['rating 0', { rating: 0 }, 'rating'],
    ['rating 6', { rating: 6 }, 'rating'],
    ['rating -1', { rating: -1 }, 'rating'],
    ['a body over 2000 characters', { body: 'x'.repeat(MAX_BODY + 1) }, 'body'],
  ])('%s is BAD_USER_INPUT and stores nothing', async (_case, override, field) => {
    const order = await deliveredOrder();
    const outboxBefore = await count(`SELECT count(*) AS n FROM outbox`);
    const result = await h.call(buyerViewer(order.buyerId), CREATE_REVIEW, { input: { orderId: order.orderId, rating: 3, body: 'ok', ...override } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions?.field).toBe(field);
    expect(await reviewsOf(order.orderId)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM outbox`)).toBe(outboxBefore);
  });

  test('a rating that is not an integer is refused by the schema as BAD_USER_INPUT', async () => {
    const order = await deliveredOrder();
    const result = await h.call(buyerViewer(order.buyerId), CREATE_REVIEW, { input: { orderId: order.orderId, rating: 4.5, body: '' } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await reviewsOf(order.orderId)).toBe(0);
  });

  test('an empty body (after trimming) and one of exactly 2000 characters are accepted', async () => {
    const silent = await deliveredOrder();
    expect((await review(silent, 5, '   ')).data?.createReview.body).toBe('');
    const verbose = await deliveredOrder();
    expect((await review(verbose, 5, 'y'.repeat(MAX_BODY))).data?.createReview.body).toHaveLength(MAX_BODY);
  });
});

describe('the read model of orders', () => {
  test('events arriving out of order never move an order back: DELIVERED then an older PAID stays DELIVERED', async () => {
    const order = newOrder();
    const [pending, paid, accepted, shipped, delivered] = lifeUpTo(order, 'DELIVERED');
    await publish([delivered], order.orderId, 'DELIVERED');
    await h.bus.publish([paid, pending, shipped, accepted]);
    await h.bus.settled();
    expect(await knownStatus(order.orderId)).toBe('DELIVERED');
    const [row] = await q(`SELECT buyer_id, seller_id, delivered_at FROM known_orders WHERE id = $1`, order.orderId);
    expect(row).toEqual({ buyer_id: order.buyerId, seller_id: order.sellerId, delivered_at: new Date(delivered.payload.at) });
    expect(codes(await review(order, 5))).toEqual([]);
  });

  test('COMPLETED before DELIVERED stays COMPLETED and still learns when the order was delivered', async () => {
    const order = newOrder();
    const events = lifeUpTo(order, 'COMPLETED');
    const [delivered, completed] = events.slice(-2);
    await publish([completed], order.orderId, 'COMPLETED');
    await h.bus.publish([delivered]);
    await eventually(async () => {
      const [row] = await q(`SELECT status, delivered_at FROM known_orders WHERE id = $1`, order.orderId);
      expect(row).toEqual({ status: 'COMPLETED', delivered_at: new Date(delivered.payload.at) });
    });
  });

  test('terminal statuses stay: a late SHIPPED after REFUNDED changes nothing', async () => {
    const order = newOrder();
    const shipped = statusChanged(order, 'SHIPPED', new Date(Date.now()), 'ACCEPTED');
    await publish([statusChanged(order, 'REFUNDED', new Date(Date.now() + 1000), 'SHIPPED')], order.orderId, 'REFUNDED');
    await h.bus.publish([shipped]);
    await h.bus.settled();
    expect(await knownStatus(order.orderId)).toBe('REFUNDED');
  });

  test('a redelivered event is processed once', async () => {
    const order = newOrder();
    const [pending, paid] = lifeUpTo(order, 'PAID');
    await h.bus.publish([pending, paid, paid, pending, paid]);
    await h.bus.settled();
    expect(await knownStatus(order.orderId)).toBe('PAID');
    const processed = await q(
      `SELECT event_id, count(*)::int AS n FROM processed_events WHERE consumer = 'reputation' AND event_id IN ($1, $2) GROUP BY event_id ORDER BY event_id`,
      pending.id,
      paid.id,
    );
    expect(processed).toEqual([pending.id, paid.id].sort().map((id) => ({ event_id: id, n: 1 })));
  });

  test('events of other types and malformed ones are ignored without stopping the consumer', async () => {
    const order = newOrder();
    const broken = statusChanged({ ...order, buyerId: 'nobody' }, 'DELIVERED', new Date());
    const foreign: EventEnvelope = { id: randomUUID(), type: 'PaymentSucceeded', source: 'payments', occurredAt: new Date().toISOString(), payload: {} };
    await h.bus.publish([broken, foreign]);
    await h.bus.settled();
    expect(await knownStatus(order.orderId)).toBeUndefined();
    await publish(lifeUpTo(order, 'DELIVERED'), order.orderId, 'DELIVERED');
  });
});

describe('reading reviews and reputation', () => {
  const sellerId = randomUUID();
  const ratings = [5, 4, 4, 2];
  const orders: TestOrder[] = [];
  const written: ReviewResult[] = [];

  beforeAll(async () => {
    for (const rating of ratings) {
      const order = await deliveredOrder({ sellerId });
      orders.push(order);
      const result = await review(order, rating, `Rated ${rating}`);
      expect(result.errors).toBeUndefined();
      written.push(result.data!.createReview);
    }
  });

  test('the reputation counts every review: average, Bayesian score and distribution', async () => {
    const [seller] = await sellers([sellerId]);
    // (10 · 3.5 + 15) / (10 + 4) = 3.571…
    expect(seller.reputation).toEqual({
      score: 3.57,
      averageRating: 3.75,
      reviewCount: 4,
      ratingDistribution: [
        { rating: 1, count: 0 },
        { rating: 2, count: 1 },
        { rating: 3, count: 0 },
        { rating: 4, count: 2 },
        { rating: 5, count: 1 },
      ],
    });
    const [fresh] = await sellers([randomUUID()]);
    expect(fresh.reputation).toMatchObject({ score: 3.5, averageRating: null, reviewCount: 0 });
    expect(fresh.reviews).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test('every review emits SellerReputationChanged with the numbers after it, in order', async () => {
    const events = await eventually(async () => {
      const seen = reputationEvents(sellerId);
      expect(seen).toHaveLength(ratings.length);
      return seen;
    });
    expect(events.map((e) => e.source)).toEqual(ratings.map(() => 'reputation'));
    const expected = ratings.map((_, i) => {
      const sum = ratings.slice(0, i + 1).reduce((a, b) => a + b, 0);
      return { sellerId, reviewCount: i + 1, score: Math.round(((10 * 3.5 + sum) / (10 + i + 1)) * 100) / 100 };
    });
    expect(events.map(({ payload: { sellerId, reviewCount, score } }) => ({ sellerId, reviewCount, score }))).toEqual(expected);
    const times = events.map((e) => e.payload.at);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    expect(events[ratings.length - 1].payload.score).toBe(3.57);
  });

  test('Seller.reviews pages newest first with cursors; totalCount is the review count', async () => {
    const [page1] = await sellers([sellerId], { first: 3 });
    const newestFirst = [...written].reverse();
    expect(page1.reviews.totalCount).toBe(4);
    expect(page1.reviews.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(0, 3).map((r) => r.id));
    expect(page1.reviews.pageInfo.hasNextPage).toBe(true);
    expect(page1.reviews.edges[0].node).toMatchObject({ author: { id: orders[3].buyerId }, seller: { id: sellerId }, order: { id: orders[3].orderId } });

    const [page2] = await sellers([sellerId], { first: 3, after: page1.reviews.pageInfo.endCursor! });
    expect(page2.reviews.edges.map((e) => e.node.id)).toEqual([newestFirst[3].id]);
    expect(page2.reviews.pageInfo).toEqual({ hasNextPage: false, endCursor: page2.reviews.edges[0].cursor });

    const [all] = await sellers([sellerId]);
    expect(all.reviews.edges.map((e) => e.node.rating)).toEqual([...ratings].reverse());
  });

  test('cursors are checked: garbage and another seller\'s cursor are BAD_USER_INPUT, a negative first too', async () => {
    const [page] = await sellers([sellerId], { first: 1 });
    const representations = [{ __typename: 'Seller', id: randomUUID() }];
    for (const variables of [{ after: page.reviews.pageInfo.endCursor }, { after: 'not-a-cursor' }, { first: -1 }]) {
      expect(codes(await h.call(null, SELLERS, { representations, ...variables }))).toContain('BAD_USER_INPUT');
    }
  });

  test('Order.review is the review of that order, or null', async () => {
    const unreviewed = randomUUID();
    const { data } = await h.call<{ _entities: { id: string; review: { id: string; rating: number; author: { id: string } } | null }[] }>(null, ORDERS, {
      representations: [orders[1].orderId, unreviewed, 'not-a-uuid'].map((id) => ({ __typename: 'Order', id })),
    });
    expect(data!._entities).toEqual([
      { id: orders[1].orderId, review: { id: written[1].id, rating: 4, author: { id: orders[1].buyerId } } },
      { id: unreviewed, review: null },
      { id: 'not-a-uuid', review: null },
    ]);
  });

  test('Review resolves by reference', async () => {
    const { data } = await h.call<{ _entities: unknown[] }>(null, REVIEWS, {
      representations: [written[0].id, randomUUID()].map((id) => ({ __typename: 'Review', id })),
    });
    expect(data!._entities).toEqual([
      { id: written[0].id, rating: 5, body: 'Rated 5', seller: { id: sellerId }, order: { id: orders[0].orderId } },
      null,
    ]);
  });

  test('no N+1: many sellers, orders and reviews cost one statement per kind', async () => {
    // the outbox relay polls meanwhile: count only what reads reviews
    const reads = async (run: () => Promise<unknown>) => (await h.statements(run)).filter((sql) => /\breviews\b/.test(sql));
    const others = [randomUUID(), randomUUID()];
    const sellerStatements = await reads(() => sellers([sellerId, ...others], { first: 2 }));
    // one page query and one rating count, for all three sellers
    expect(sellerStatements).toHaveLength(2);
    const orderStatements = await reads(() =>
      h.call(null, ORDERS, { representations: orders.map(({ orderId }) => ({ __typename: 'Order', id: orderId })) }),
    );
    expect(orderStatements).toHaveLength(1);
    const reviewStatements = await reads(() =>
      h.call(null, REVIEWS, { representations: written.map(({ id }) => ({ __typename: 'Review', id })) }),
    );
    expect(reviewStatements).toHaveLength(1);
  });
});
