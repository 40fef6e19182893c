import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { eventually } from '../../lib/testing/eventually';
import { routerSocket } from '../../lib/testing/live';
import { newListing, newSeller, signUp, type TestUser } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Subscription events run on the router's own executor, and one change heard by many viewers costs
 * the subgraphs one fetch where every field fetched is `@public`: the buyer and the seller of an order
 * follow it, and the listing's title reaches both from one request to listings and one execution of
 * the event, while a field nobody declared public (the low-stock threshold) is still fetched, and
 * the event run, once per viewer.
 */
const PUBLIC_FIELDS = `subscription FollowPublic($orderId: ID) {
  orderStatusChanged(orderId: $orderId) { order { status seller { shopName reputation { score } } items { listing { title } } } }
}`;
const SOME_PRIVATE = `subscription FollowPrivate($orderId: ID) {
  orderStatusChanged(orderId: $orderId) { order { status items { listing { title lowStockThreshold } } } }
}`;

interface Heard {
  orderStatusChanged: { order: { status: string; seller?: { shopName: string; reputation: { score: number } }; items: { listing: Record<string, unknown> }[] } };
}

let stack: TestStack;
const clients: Client[] = [];
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
});

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
/** Requests the listings subgraph answered for one planned fetch (the planner names it after the client's operation). */
const listingsFetches = (operation: string) =>
  metric(stack.subgraphs.listings.url, new RegExp(`^graphql_operations_total\\{operation="${operation}__listings__\\d+",outcome="ok"[^}]*\\} (\\d+)`, 'm'));
const leanExecutions = () => metric(stack.routerUrl, /^router_executions_total\{executor="lean"[^}]*\} (\d+)/m);

function subscribe(user: TestUser, query: string, orderId: string): Heard[] {
  const heard: Heard[] = [];
  const client = routerSocket(stack.routerUrl, user.client.token!);
  clients.push(client);
  client.subscribe<Heard>(
    { query, variables: { orderId } },
    { next: ({ data, errors }) => (data ? heard.push(data) : expect(errors).toBeUndefined()), error: (e) => expect(e).toBeUndefined(), complete: () => undefined },
  );
  return heard;
}

test('public fields of one event reach every viewer from one fetch; others are fetched per viewer', async () => {
  const seller = await newSeller(stack.client, { shopName: 'Shared Lamps' });
  const buyer = await signUp(stack.client);
  const listing = await newListing(seller.client, { title: 'Shared lamp', stock: 5 });
  const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
    input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
  });
  const orderId = checkout.orders[0].id;
  const feeds = [buyer, seller].flatMap((user) => [subscribe(user, PUBLIC_FIELDS, orderId), subscribe(user, SOME_PRIVATE, orderId)]);
  await eventually(async () => expect(stack.subgraphs.orders.activeSubscriptions()).toBeGreaterThanOrEqual(4));

  const before = { shared: await listingsFetches('FollowPublic'), apart: await listingsFetches('FollowPrivate'), lean: await leanExecutions() };
  await buyer.client.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242424242424242' });
  await eventually(async () => expect(feeds.map((feed) => feed.length)).toEqual([1, 1, 1, 1]));

  const [buyerPublic, buyerPrivate, sellerPublic, sellerPrivate] = feeds.map((feed) => feed[0].orderStatusChanged.order);
  for (const seen of [buyerPublic, sellerPublic]) {
    expect(seen).toEqual({ status: 'PAID', seller: { shopName: 'Shared Lamps', reputation: { score: expect.any(Number) } }, items: [{ listing: { title: 'Shared lamp' } }] });
  }
  for (const seen of [buyerPrivate, sellerPrivate]) {
    expect(seen).toEqual({ status: 'PAID', items: [{ listing: { title: 'Shared lamp', lowStockThreshold: expect.any(Number) } }] });
  }
  // the two viewers' public fetches went out as one; the others one each
  expect({ shared: (await listingsFetches('FollowPublic')) - before.shared, apart: (await listingsFetches('FollowPrivate')) - before.apart }).toEqual({ shared: 1, apart: 2 });
  // the payment's mutation, the public subscription's event once for both viewers (the same message
  // from orders, and nothing fetched per viewer: event-results.ts), and the other's once per viewer
  expect((await leanExecutions()) - before.lean).toBe(4);
});
