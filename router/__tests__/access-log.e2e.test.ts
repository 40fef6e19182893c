import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../../lib/logger';
import { eventually } from '../../lib/testing/eventually';
import { follow } from '../../lib/testing/live';
import { checkOut, newListing, newSeller, payByTestCard, signUp } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/** One access line per request, in the router and in each subgraph it calls, tied by the request's id. */
let stack: TestStack;
const lines: Record<string, unknown>[] = [];
beforeAll(async () => {
  const logger = createLogger({}, { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  stack = await startTestStack({ logger });
});
afterAll(() => stack?.stop());

const accessLines = (requestId: string) => lines.filter((line) => line.msg === 'request' && line.requestId === requestId);

test('a client request id and trace travel to the subgraphs and tag their access lines', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await fetch(stack.routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'client-abc-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    body: JSON.stringify({ query: 'query Categories { categories { slug } }', operationName: 'Categories' }),
  });
  expect(response.headers.get('x-request-id')).toBe('client-abc-1');
  await response.json();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const seen = accessLines('client-abc-1');
  // the router's line, and listings' (which answers categories; the gateway names the fetch after the operation)
  expect(seen).toEqual([
    expect.objectContaining({ method: 'POST', path: '/graphql', status: 200, traceId, operation: 'Categories__listings__0', subgraph: 'listings' }),
    expect.objectContaining({ method: 'POST', path: '/graphql', status: 200, traceId, operation: 'Categories', service: 'router' }),
  ]);
  expect(typeof seen[1].ms).toBe('number');
});

test('without one, the router makes a request id, answers it, and never logs the token', async () => {
  const response = await fetch(stack.routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-valid-token-but-secret-looking' },
    body: JSON.stringify({ query: '{ categories { slug } }' }),
  });
  await response.json();
  const requestId = response.headers.get('x-request-id')!;
  expect(requestId).toMatch(/^[\da-f-]{36}$/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(accessLines(requestId).length).toBeGreaterThanOrEqual(1);
  expect(JSON.stringify(lines)).not.toContain('secret-looking');
});

test("a WebSocket connection's x-request-id tags the subgraph calls its subscriptions' events make", async () => {
  const seller = await newSeller(stack.client, { shopName: 'Logged Goods' });
  const listingId = await newListing(seller.client, { title: 'Logged lamp', category: 'home-garden', stock: 2 });
  const buyer = await signUp(stack.client);
  // as a server-side client sets headers on the upgrade request (browsers cannot)
  class TaggedSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { 'x-request-id': 'live-connection-7' } });
    }
  }
  const socket = createClient({
    url: stack.routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: TaggedSocket,
    connectionParams: { authorization: `Bearer ${buyer.client.token}` },
    retryAttempts: 0,
  });
  try {
    const feed = follow(socket, 'OrderStatusChanged');
    await eventually(async () => expect(stack.router.activeSubscriptions()).toBe(1));
    const purchase = await checkOut(buyer, [listingId]);
    await payByTestCard(buyer, purchase.paymentId);
    await eventually(async () => expect(feed.events.length).toBeGreaterThanOrEqual(1));
    // the event's order is completed from listings (items) and accounts (shop name) under the connection's id
    await eventually(async () =>
      expect(accessLines('live-connection-7').map((line) => line.subgraph)).toEqual(expect.arrayContaining(['listings', 'accounts'])),
    );
  } finally {
    await socket.dispose();
  }
});
