import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { siblingDatabaseUrl } from '../../lib/db/data-source';
import { createLogger } from '../../lib/logger';
import { startSubgraph, type StartedSubgraph } from '../../lib/server/start-subgraph';
import { eventually } from '../../lib/testing/eventually';
import { follow, routerSocket } from '../../lib/testing/live';
import { checkOut, newListing, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { orders } from '../../subgraphs/orders/subgraph';
import { startRouter, type RunningRouter } from '../server';

/**
 * The orders subgraph goes away under live subscriptions. When it comes back, the router has
 * reconnected and subscribers hear the next change as if nothing happened; when it stays away, they
 * get an error instead of silence. The databases outlive the process (PostgreSQL, or PGlite on disk).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'restart-'));
let stack: TestStack;
let ordersNow: StartedSubgraph;
const clients: Client[] = [];
const routers: RunningRouter[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    ephemeral: false,
    env: { ...process.env, DATA_DIR: dataDir },
    router: { subscriptionReconnect: { attempts: 30, delayMs: 100 } },
  });
  ordersNow = stack.subgraphs.orders;
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  for (const router of routers) await router.stop();
  await ordersNow?.stop();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Stops orders; `restart` brings it back on the same port over the same database and bus. */
async function stopOrders(): Promise<{ restart(): Promise<void> }> {
  const port = Number(new URL(ordersNow.url).port);
  await ordersNow.stop();
  return {
    async restart() {
      const urls = Object.fromEntries(Object.entries(stack.subgraphs).map(([name, s]) => [name, s.url]));
      ordersNow = await startSubgraph(orders, {
        databaseUrl: stack.databaseUrl && siblingDatabaseUrl(stack.databaseUrl, 'orders'),
        env: { ...process.env, DATA_DIR: dataDir },
        port,
        routerSecret: stack.routerSecret,
        logger: createLogger(),
        bus: stack.bus,
        peerUrl: (peer) => urls[peer],
      });
    },
  };
}

const upstreamSubscriptions = () => ordersNow.activeSubscriptions();

interface LiveStatus {
  orderStatusChanged: { order: { status: string } };
}

function followOrder(routerUrl: string, user: TestUser, orderId: string) {
  const client = routerSocket(routerUrl, user.client.token);
  clients.push(client);
  const feed = follow<LiveStatus>(client, 'OrderStatusChanged', { orderId });
  return { feed, statuses: () => feed.events.map((e) => e.orderStatusChanged.order.status) };
}

/** A purchase of one listing, paid, with its buyer following the order from before the payment. */
async function followedPaidOrder(routerUrl: string, subscribers: () => number) {
  const seller = await newSeller(stack.client);
  const buyer = await signUp(stack.client);
  const purchase = await checkOut(buyer, [await newListing(seller.client, { title: 'Restart-proof kettle' })]);
  const orderId = purchase.orders[0].id;
  const followed = followOrder(routerUrl, buyer, orderId);
  await eventually(async () => expect(subscribers()).toBe(1));
  await payByTestCard(buyer, purchase.paymentId);
  await eventually(async () => expect(followed.statuses()).toEqual(['PAID']));
  return { seller, buyer, orderId, ...followed };
}

test('a subscriber hears changes made after the orders subgraph restarted, and nothing ends meanwhile', async () => {
  const { seller, orderId, feed, statuses } = await followedPaidOrder(stack.routerUrl, upstreamSubscriptions);

  const orders = await stopOrders();
  await new Promise((resolve) => setTimeout(resolve, 1500)); // several reconnects fail meanwhile
  expect(feed).toMatchObject({ errors: [], completed: false });
  expect(statuses()).toEqual(['PAID']);
  expect(stack.router.activeSubscriptions()).toBe(1);

  await orders.restart();
  // the router sent the subscription again on a new connection
  await eventually(async () => expect(upstreamSubscriptions()).toBe(1), { timeoutMs: 10_000 });
  await seller.client.ok('AcceptOrder', { id: orderId });
  await eventually(async () => expect(statuses()).toEqual(['PAID', 'ACCEPTED']), { timeoutMs: 15_000 });
  expect(feed).toMatchObject({ errors: [], completed: false });
  feed.stop();
  await eventually(async () => expect(upstreamSubscriptions()).toBe(0));
}, 60_000);

test('when the orders subgraph stays away, subscribers get an error and the router lets go of them', async () => {
  const impatient = await startRouter({ ...stack.routerConfig, port: 0, subscriptionReconnect: { attempts: 2, delayMs: 50 } }, createLogger());
  routers.push(impatient);
  const { buyer, orderId, feed } = await followedPaidOrder(impatient.url, upstreamSubscriptions);

  const orders = await stopOrders();
  await eventually(async () => expect(feed.completed || feed.errors.length > 0).toBe(true), { timeoutMs: 10_000 });
  expect(feed.errors).toEqual([{ message: expect.stringMatching(/unavailable/), code: 'INTERNAL_SERVER_ERROR' }]);
  await eventually(async () => expect(impatient.activeSubscriptions()).toBe(0));

  // a subscription made while it is away fails the same way rather than hanging
  const late = followOrder(impatient.url, buyer, orderId).feed;
  await eventually(async () => expect(late.errors).toEqual([{ message: expect.stringMatching(/unavailable/), code: 'INTERNAL_SERVER_ERROR' }]), { timeoutMs: 10_000 });

  // and once it is back, subscribing works again
  await orders.restart();
  const again = followOrder(impatient.url, buyer, orderId).feed;
  await eventually(async () => expect(upstreamSubscriptions()).toBe(1), { timeoutMs: 10_000 });
  expect(again.errors).toEqual([]);
}, 60_000);
