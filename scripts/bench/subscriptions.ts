import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { operation } from '../../lib/client/operations';
import { newListing, newSeller, signUp } from '../../lib/testing/marketplace';
import { ROOT } from '../../schema/subgraphs';
import { startTestStack } from '../test-stack';

/**
 * Subscription fan-out, measured: N WebSocket subscribers on one router (its own process, so that its
 * memory is its own) follow one seller's orders, each on its own connection with the same token;
 * orders change status and every change reaches all N.
 * Reports delivery latency (status change committed → event received) and the router's memory per
 * subscriber. `npm run bench` (BENCH_SUBSCRIBERS=1000,10000 by default).
 */
const SIZES = (process.env.BENCH_SUBSCRIBERS ?? '1000,10000').split(',').map(Number);
const ORDERS = 3;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function startRouterProcess(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'router/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false)) return child;
    await sleep(100);
  }
  throw new Error('router did not become ready');
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function main() {
  // fresh databases (and Redis stream) of its own on DATABASE_URL / REDIS_URL when set, dropped at the end
  const stack = await startTestStack();
  const port = 4700;
  const env: Record<string, string> = {
    ROUTER_SECRET: stack.routerSecret,
    JWT_JWKS_URL: new URL('/.well-known/jwks.json', stack.subgraphs.accounts.url).toString(),
    ...Object.fromEntries(Object.entries(stack.subgraphs).map(([name, s]) => [`SUBGRAPH_URL_${name.toUpperCase()}`, s.url])),
  };
  const url = `http://127.0.0.1:${port}/graphql`;
  const api = new GraphQLClient(url);
  const results: string[] = [];
  let router: ChildProcess | undefined;
  try {
    for (const size of SIZES) {
      // a fresh router for each size, so that its memory is measured from the same start
      router = await startRouterProcess(env, port);
      const seller = await newSeller(api, { shopName: `Bench ${size}` });
      const buyer = await signUp(api);
      const listing = await newListing(seller.client, { title: 'Bench lamp', stock: 1000 });
      await sleep(1000);
      const baseline = rssOf(router!.pid!);

      const latencies: number[] = [];
      const failures: string[] = [];
      const clients: Client[] = [];
      for (let i = 0; i < size; i++) {
        const client = createClient({
          url: url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${seller.client.token}` },
          retryAttempts: 0,
        });
        clients.push(client);
        client.subscribe<{ orderStatusChanged: { at: string } }>(
          { query: operation('OrderStatusChanged'), variables: {} },
          {
            next: ({ data, errors }) => {
              if (data) latencies.push(Date.now() - Date.parse(data.orderStatusChanged.at));
              else failures.push(JSON.stringify(errors));
            },
            error: (error) => failures.push(String(error)),
            complete: () => undefined,
          },
        );
        if (i % 500 === 499) await sleep(50);
      }
      await sleep(Math.max(3000, size));
      const withSubscribers = rssOf(router!.pid!);

      let expected = 0;
      for (let n = 0; n < ORDERS; n++) {
        const { checkout } = await buyer.client.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
          input: { items: [{ listingId: listing, quantity: 1 }], idempotencyKey: randomUUID() },
        });
        const orderId = checkout.orders[0].id;
        await buyer.client.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242424242424242' });
        for (;;) {
          const { order } = await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId });
          if (order.status === 'PAID') break;
          await sleep(20);
        }
        await seller.client.ok('AcceptOrder', { id: orderId });
        await seller.client.ok('ShipOrder', { id: orderId });
        expected += 4 * size; // PENDING_PAYMENT, PAID, ACCEPTED, SHIPPED reach every subscriber
        await sleep(200);
      }
      const deadline = Date.now() + 120_000;
      while (latencies.length < expected && Date.now() < deadline) await sleep(100);
      const sorted = [...latencies].sort((a, b) => a - b);
      const line =
        `${size} identical subscribers: ${latencies.length}/${expected} events delivered (${failures.length} errors${failures[0] ? `: ${failures[0].slice(0, 200)}` : ''}), latency p50 ${percentile(sorted, 50)} ms, ` +
        `p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms; router RSS ${(baseline / 2 ** 20).toFixed(0)} MiB → ` +
        `${(withSubscribers / 2 ** 20).toFixed(0)} MiB, ${((withSubscribers - baseline) / size / 1024).toFixed(1)} KiB per subscriber`;
      console.log(line);
      results.push(line);
      await Promise.all(clients.map((c) => c.dispose()));
      await stopProcess(router);
    }
  } finally {
    if (router) await stopProcess(router);
    await stack.stop();
  }
  console.log(['', 'subscription fan-out (one router process, one seller followed by every subscriber):', ...results].join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
