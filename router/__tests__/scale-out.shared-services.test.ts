import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operation } from '../../lib/client/operations';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { siblingDatabaseUrl } from '../../lib/db/data-source';
import { RedisStreamsBus } from '../../lib/events/redis-bus';
import { createLogger } from '../../lib/logger';
import { startSubgraph, type StartedSubgraph } from '../../lib/server/start-subgraph';
import { eventually } from '../../lib/testing/eventually';
import { newListing, newSeller, signUp } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { orders } from '../../subgraphs/orders/subgraph';
import { startRouter, type RunningRouter } from '../server';

/**
 * Two routers and two orders instances on one PostgreSQL and one Redis: a change made through router A
 * and orders A reaches a subscriber connected to router B, whose subscription runs on orders B.
 * It needs a real PostgreSQL and Redis, since instances share them: jest.config.js runs it when
 * DATABASE_URL and REDIS_URL are set (as in CI).
 */
describe('scale-out across routers and orders instances', () => {
  let stack: TestStack;
  let ordersB: StartedSubgraph;
  let busB: RedisStreamsBus;
  let routerB: RunningRouter;
  let ws: Client;

  beforeAll(async () => {
    stack = await startTestStack();
    const logger = createLogger();
    busB = new RedisStreamsBus(process.env.REDIS_URL!, logger, { prefix: stack.eventsPrefix });
    const urls = Object.fromEntries(Object.entries(stack.subgraphs).map(([name, s]) => [name, s.url]));
    ordersB = await startSubgraph(orders, {
      databaseUrl: siblingDatabaseUrl(stack.databaseUrl!, 'orders'),
      routerSecret: stack.routerSecret,
      logger,
      bus: busB,
      peerUrl: (peer) => urls[peer],
    });
    routerB = await startRouter({ ...stack.routerConfig, port: 0, subgraphUrls: { ...urls, orders: ordersB.url } }, logger);
  });
  afterAll(async () => {
    await ws?.dispose();
    await routerB?.stop();
    await ordersB?.stop();
    await busB?.close();
    await stack?.stop();
  });

  test('a status change through router A and orders A reaches a subscriber on router B and orders B', async () => {
    const seller = await newSeller(stack.client, { shopName: 'Scaled Shop' });
    const buyer = await signUp(stack.client);
    const listing = await newListing(seller.client, { title: 'Scaled teapot', stock: 2 });
    const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
      input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
    });
    const orderId = checkout.orders[0].id;

    ws = createClient({
      url: routerB.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${buyer.client.token}` },
      retryAttempts: 0,
    });
    const statuses: string[] = [];
    ws.subscribe<{ orderStatusChanged: { order: { status: string; seller: { shopName: string } } } }>(
      { query: operation('OrderStatusChanged'), variables: { orderId } },
      { next: ({ data }) => void statuses.push(`${data?.orderStatusChanged.order.status} at ${data?.orderStatusChanged.order.seller.shopName}`), error: () => undefined, complete: () => undefined },
    );
    await eventually(async () => expect(routerB.activeSubscriptions()).toBe(1));
    await eventually(async () => expect(stack.router.activeSubscriptions()).toBe(0));
    await new Promise((r) => setTimeout(r, 500)); // the upstream subscription reaches orders B

    // everything below goes through router A, hence orders A
    await buyer.client.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242424242424242' });
    await eventually(async () => expect(statuses).toEqual(['PAID at Scaled Shop']), { timeoutMs: 20_000 });
    await seller.client.ok('AcceptOrder', { id: orderId });
    await eventually(async () => expect(statuses).toEqual(['PAID at Scaled Shop', 'ACCEPTED at Scaled Shop']), { timeoutMs: 20_000 });

    // and both routers answer queries for the same order
    const viaB = new GraphQLClient(routerB.url, buyer.client.token);
    expect((await viaB.ok<{ order: { status: string } }>('Order', { id: orderId })).order.status).toBe('ACCEPTED');
  });
});
