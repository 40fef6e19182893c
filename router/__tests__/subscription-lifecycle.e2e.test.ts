import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { operation } from '../../lib/client/operations';
import { eventually } from '../../lib/testing/eventually';
import { signUp } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/** What subscriptions leave behind when clients come and go, and what an expiring token does. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { ...process.env, JWT_TTL_SECONDS: '3' } });
});
afterAll(() => stack?.stop());

const connections = () =>
  new Promise<number>((resolve, reject) => stack.subgraphs.orders.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

function wsClient(token: string): Client {
  return createClient({
    url: stack.routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

test('1,000 subscribe/unsubscribe cycles leave no subscription or upstream socket behind', async () => {
  const buyer = await signUp(stack.client);
  const client = wsClient(buyer.client.token!);
  const baseline = await connections();
  for (let i = 0; i < 1000; i++) {
    const subscription = client.iterate({ query: operation('OrderStatusChanged'), variables: { orderId: null } });
    // every tenth waits until the router holds a socket to the orders subgraph; the rest leave at once, racing the opening
    if (i % 10 === 0) {
      void subscription.next();
      await eventually(async () => expect(await connections()).toBeGreaterThan(baseline), { intervalMs: 5 });
    }
    await subscription.return?.();
  }
  await eventually(async () => expect(stack.router.activeSubscriptions()).toBe(0));
  await eventually(async () => expect(await connections()).toBeLessThanOrEqual(baseline));
  await client.dispose();
});

test('a subscription ends when its token expires', async () => {
  const buyer = await signUp(stack.client);
  const client = wsClient(buyer.client.token!);
  const closed = new Promise<number>((resolve) =>
    client.subscribe({ query: operation('OrderStatusChanged'), variables: {} }, {
      next: () => undefined,
      error: (error) => resolve((error as { code?: number }).code ?? -1),
      complete: () => resolve(0),
    }),
  );
  const code = await closed;
  expect(code).toBe(4401);
  await eventually(async () => expect(stack.router.activeSubscriptions()).toBe(0));
  await client.dispose();
}, 20_000);
