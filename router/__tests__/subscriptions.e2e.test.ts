import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operation } from '../../lib/client/operations';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { newListing, newSeller, signUp, type TestUser } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Live order status through the router with a real graphql-ws client: events carry fields of every
 * subgraph, and only an order's buyer and seller hear of it.
 */
interface LiveEvent {
  orderStatusChanged: {
    previousStatus: string | null;
    order: {
      id: string;
      status: string;
      buyer: { id: string };
      seller: { id: string; shopName: string; reputation: { score: number } };
      items: { listing: { id: string; title: string }; quantity: number }[];
    };
  };
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

function tokenOf(user: TestUser): string {
  return user.client.token!;
}

function wsClient(token?: string): Client {
  const client = routerSocket(stack.routerUrl, token);
  clients.push(client);
  return client;
}

const followOrders = (client: Client, variables: Record<string, unknown> = {}) => follow<LiveEvent>(client, 'OrderStatusChanged', variables);

test('buyer and sellers follow a purchase live, each hearing only of their own orders, with fields of every subgraph', async () => {
  const seller1 = await newSeller(stack.client, { shopName: 'Live Lamps' });
  const seller2 = await newSeller(stack.client, { shopName: 'Live Books' });
  const buyer = await signUp(stack.client);
  const stranger = await signUp(stack.client);
  const lamp = await newListing(seller1.client, { title: 'Live lamp', stock: 3 });
  const book = await newListing(seller2.client, { title: 'Live book', stock: 3, category: 'books' });
  const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string; seller: { id: string } }[]; payment: { id: string } } }>('Checkout', {
    input: { items: [{ listingId: lamp, quantity: 2 }, { listingId: book, quantity: 1 }], idempotencyKey: randomUUID() },
  });
  const order1 = checkout.orders.find((o) => o.seller.id === seller1.sellerId)!.id;
  const order2 = checkout.orders.find((o) => o.seller.id === seller2.sellerId)!.id;

  const buyerFeed = followOrders(wsClient(tokenOf(buyer)));
  const seller1Feed = followOrders(wsClient(tokenOf(seller1)));
  const seller2Feed = followOrders(wsClient(tokenOf(seller2)), { orderId: order2 });
  const strangerFeed = followOrders(wsClient(tokenOf(stranger)));
  const forbidden = followOrders(wsClient(tokenOf(stranger)), { orderId: order1 });
  await eventually(async () => expect(forbidden.errors).toHaveLength(1));
  expect(forbidden.errors[0].code).toBe('FORBIDDEN');
  await new Promise((r) => setTimeout(r, 300)); // let every subscription reach the orders subgraph

  await buyer.client.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242424242424242' });

  await eventually(async () => expect(buyerFeed.events.map((e) => e.orderStatusChanged.order.status).sort()).toEqual(['PAID', 'PAID']));
  await eventually(async () => expect(seller1Feed.events).toHaveLength(1));
  await eventually(async () => expect(seller2Feed.events).toHaveLength(1));
  const seen = seller1Feed.events[0].orderStatusChanged;
  expect(seen).toMatchObject({
    previousStatus: 'PENDING_PAYMENT',
    order: {
      id: order1,
      status: 'PAID',
      buyer: { id: buyer.userId },
      seller: { id: seller1.sellerId, shopName: 'Live Lamps', reputation: { score: 3.5 } },
      items: [{ listing: { id: lamp, title: 'Live lamp' }, quantity: 2 }],
    },
  });
  expect(seller2Feed.events[0].orderStatusChanged.order).toMatchObject({ id: order2, seller: { shopName: 'Live Books' } });

  await seller1.client.ok('AcceptOrder', { id: order1 });
  await eventually(async () => expect(seller1Feed.events).toHaveLength(2));
  expect(seller1Feed.events[1].orderStatusChanged).toMatchObject({ previousStatus: 'PAID', order: { status: 'ACCEPTED' } });
  await eventually(async () => expect(buyerFeed.events).toHaveLength(3));
  // seller 2 follows its own order only, the stranger nothing at all
  await new Promise((r) => setTimeout(r, 300));
  expect(seller2Feed.events).toHaveLength(1);
  expect(strangerFeed.events).toHaveLength(0);
  expect(strangerFeed.errors).toHaveLength(0);
});

test('a connection without a valid token is refused', async () => {
  const feed = followOrders(wsClient('not-a-token'));
  await eventually(async () => expect(feed.errors).toHaveLength(1));
  const anonymous = followOrders(wsClient());
  await eventually(async () => expect(anonymous.errors).toHaveLength(1));
  expect(anonymous.errors[0].code).toBe('UNAUTHENTICATED');
});

test('the token may come as connectionParams.Authorization, spelled as the HTTP header', async () => {
  const buyer = await signUp(stack.client);
  const client = createClient({
    url: stack.routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${tokenOf(buyer)}` },
    retryAttempts: 0,
  });
  clients.push(client);
  // an order that does not exist is NOT_FOUND to a signed-in viewer; an anonymous one is UNAUTHENTICATED
  const feed = followOrders(client, { orderId: '00000000-0000-4000-8000-000000000000' });
  await eventually(async () => expect(feed.errors).toHaveLength(1));
  expect(feed.errors[0].code).toBe('NOT_FOUND');
});

describe('Apollo Client, as frontends use it', () => {
  test('follows an order over the multipart HTTP protocol and over graphql-ws', async () => {
    const { ApolloClient, HttpLink, InMemoryCache, gql } = await import('@apollo/client');
    const { GraphQLWsLink } = await import('@apollo/client/link/subscriptions');
    const seller = await newSeller(stack.client, { shopName: 'Apollo Antiques' });
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Apollo clock', stock: 2 });
    const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
      input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
    });
    const orderId = checkout.orders[0].id;

    const links = {
      multipart: new HttpLink({ uri: stack.routerUrl, headers: { authorization: `Bearer ${tokenOf(buyer)}` } }),
      websocket: new GraphQLWsLink(wsClient(tokenOf(buyer))),
    };
    const received: Record<string, { status: string; shopName: string }[]> = { multipart: [], websocket: [] };
    const stops: (() => void)[] = [];
    for (const [name, link] of Object.entries(links)) {
      const client = new ApolloClient({ link, cache: new InMemoryCache() });
      const subscription = client
        .subscribe<LiveEvent>({ query: gql(operation('OrderStatusChanged')), variables: { orderId } })
        .subscribe({
          next: ({ data }) => {
            if (data) received[name].push({ status: data.orderStatusChanged.order.status, shopName: data.orderStatusChanged.order.seller.shopName });
          },
        });
      stops.push(() => subscription.unsubscribe());
    }
    await eventually(async () => expect(stack.router.activeSubscriptions()).toBeGreaterThanOrEqual(2));
    await new Promise((r) => setTimeout(r, 300));
    await buyer.client.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242424242424242' });
    await eventually(async () => expect(received).toEqual({
      multipart: [{ status: 'PAID', shopName: 'Apollo Antiques' }],
      websocket: [{ status: 'PAID', shopName: 'Apollo Antiques' }],
    }));
    for (const stop of stops) stop();
  });
});
