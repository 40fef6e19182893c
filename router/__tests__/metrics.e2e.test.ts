import type { Client } from 'graphql-ws';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { checkOut, newListing, newSeller, payByTestCard, signUp } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/** What operators scrape: the router's and every subgraph's /metrics, after one trade journey. */
let stack: TestStack;
let socket: Client | undefined;
beforeAll(async () => {
  stack = await startTestStack();
  const seller = await newSeller(stack.client, { shopName: 'Metered Goods' });
  const listingId = await newListing(seller.client, { title: 'Counted kettle', category: 'home-garden', stock: 5 });
  const buyer = await signUp(stack.client);
  await stack.client.ok('SearchListings', { query: 'kettle', first: 5 });
  const declined = await checkOut(buyer, [listingId]);
  await buyer.client.op('ConfirmTestPayment', { paymentId: declined.paymentId, card: '4000000000000002' });
  socket = routerSocket(stack.routerUrl, buyer.client.token);
  const feed = follow(socket, 'OrderStatusChanged');
  await eventually(async () => expect(stack.router.activeSubscriptions()).toBe(1));
  await payByTestCard(buyer, declined.paymentId);
  await eventually(async () => expect(feed.events.length).toBeGreaterThanOrEqual(1));
  await stack.client.op('Listing', { id: 'not-a-listing-id' });
});
afterAll(async () => {
  await socket?.dispose();
  await stack?.stop();
});

async function scrape(url: string): Promise<string> {
  const response = await fetch(new URL('/metrics', url));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of a series: its name and every label given must match one line. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = text
    .split('\n')
    .find((candidate) => (candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)) && Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the router counts operations by name and outcome, times subgraph fetches, and reports its process', async () => {
  const text = await scrape(stack.routerUrl);
  expect(valueOf(text, 'graphql_operations_total', { operation: 'SearchListings', outcome: 'ok', service: 'router' })).toBeGreaterThanOrEqual(1);
  expect(valueOf(text, 'graphql_operations_total', { operation: 'ConfirmTestPayment', outcome: 'client_error' })).toBe(1);
  expect(valueOf(text, 'graphql_operation_duration_seconds_count', { operation: 'Checkout' })).toBe(1);
  expect(valueOf(text, 'subgraph_fetch_duration_seconds_count', { subgraph: 'listings', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  expect(valueOf(text, 'subscriptions_open')).toBe(1);
  expect(valueOf(text, 'subscription_events_delivered_total')).toBeGreaterThanOrEqual(1);
  expect(valueOf(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
});

test('each subgraph reports its operations, database pool, outbox, events and business counters', async () => {
  const orders = await scrape(stack.subgraphs.orders.url);
  expect(valueOf(orders, 'checkouts_total', { service: 'orders' })).toBe(1);
  expect(valueOf(orders, 'db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  expect(valueOf(orders, 'events_outbox_unpublished')).toBeGreaterThanOrEqual(0);
  expect(valueOf(orders, 'graphql_operations_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);

  const payments = await scrape(stack.subgraphs.payments.url);
  expect(valueOf(payments, 'payments_declined_total')).toBe(1);
  await eventually(async () => expect(valueOf(await scrape(stack.subgraphs.payments.url), 'events_published_total', { type: 'PaymentSucceeded' })).toBe(1));
  // orders heard the payment: the consumer's deliveries are counted
  await eventually(async () => expect(valueOf(await scrape(stack.subgraphs.orders.url), 'events_handled_total', { consumer: 'orders', outcome: 'ok' })).toBeGreaterThanOrEqual(1));

  await eventually(async () => expect(valueOf(await scrape(stack.subgraphs.orders.url), 'events_consumer_backlog', { consumer: 'orders' })).toBe(0));

  const listings = await scrape(stack.subgraphs.listings.url);
  expect(valueOf(listings, 'search_duration_seconds_count', { text: 'true' })).toBeGreaterThanOrEqual(1);
  expect(valueOf(listings, 'events_dead_letters')).toBeUndefined();
});
