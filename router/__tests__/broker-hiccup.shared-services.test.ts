import type { Client } from 'graphql-ws';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { checkOut, newListing, newSeller, payByTestCard, signUp } from '../../lib/testing/marketplace';
import { startTcpProxy, type TcpProxy } from '../../lib/testing/tcp-proxy';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * Redis drops every connection and refuses new ones for a while, under a live subscription. The
 * subscription stays open, the change made meanwhile waits in the orders outbox, and the subscriber
 * hears it once Redis is back. Redis is shared by the suites, so the fault is played on a TCP hop of
 * this suite's own; jest.config.js runs this when DATABASE_URL and REDIS_URL are set.
 */
let proxy: TcpProxy;
let stack: TestStack;
let client: Client;

beforeAll(async () => {
  const redis = new URL(process.env.REDIS_URL!);
  proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  stack = await startTestStack({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
});
afterAll(async () => {
  await client?.dispose();
  await proxy?.mend().catch(() => undefined);
  await stack?.stop();
  await proxy?.close();
});

test('a status change made while Redis is away reaches the subscriber once it is back', async () => {
  const seller = await newSeller(stack.client);
  const buyer = await signUp(stack.client);
  const purchase = await checkOut(buyer, [await newListing(seller.client, { title: 'Hiccup teapot' })]);
  const orderId = purchase.orders[0].id;
  client = routerSocket(stack.routerUrl, buyer.client.token);
  const feed = follow<{ orderStatusChanged: { order: { status: string } } }>(client, 'OrderStatusChanged', { orderId });
  const statuses = () => feed.events.map((e) => e.orderStatusChanged.order.status);
  await eventually(async () => expect(stack.subgraphs.orders.activeSubscriptions()).toBe(1));
  await payByTestCard(buyer, purchase.paymentId);
  await eventually(async () => expect(statuses()).toEqual(['PAID']));

  await proxy.cut();
  // the change commits in the orders database; its event cannot leave the outbox yet
  await seller.client.ok('AcceptOrder', { id: orderId });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(feed).toMatchObject({ errors: [], completed: false });
  expect(statuses()).toEqual(['PAID']);
  expect(stack.router.activeSubscriptions()).toBe(1);

  await proxy.mend();
  await eventually(async () => expect(statuses()).toEqual(['PAID', 'ACCEPTED']), { timeoutMs: 20_000 });
  expect(feed).toMatchObject({ errors: [], completed: false });
}, 60_000);
