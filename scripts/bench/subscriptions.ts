import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { operation } from '../../lib/client/operations';
import { viewerFromClaims } from '../../lib/auth/claims';
import { checkOut, newListing, newSeller, payByTestCard, signUp } from '../../lib/testing/marketplace';
import { accountsConfig } from '../../subgraphs/accounts/config';
import { TokenIssuer } from '../../subgraphs/accounts/tokens';
import { ROOT } from '../../schema/subgraphs';
import { startTestStack } from '../test-stack';

/**
 * Subscription fan-out, measured: N WebSocket subscribers on one router (its own process, so that its
 * memory is its own) follow one seller's orders, each on its own connection; orders change status and
 * every change reaches all N. Two kinds of crowd, side by side:
 * - identical: every subscriber holds the seller's token, so the router shares one upstream
 *   subscription and one execution per event among them;
 * - distinct: every subscriber is a user of its own (tokens minted for N user ids of the seller's
 *   shop), so each has its own upstream subscription and execution, as buyers following their orders.
 * Reports delivery latency (status change committed → event received) and the router's memory per
 * subscriber. `npm run bench` (BENCH_SUBSCRIBERS=1000,10000 and BENCH_CROWDS=identical,distinct by default).
 */
const SIZES = (process.env.BENCH_SUBSCRIBERS ?? '1000,10000').split(',').map(Number);
const CROWDS = (process.env.BENCH_CROWDS ?? 'identical,distinct').split(',') as Crowd[];
type Crowd = 'identical' | 'distinct';
const ORDERS = 3;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** User and system CPU time of a process, in ms (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms). */
const cpuMsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function startRouterProcess(env: Record<string, string>, port: number): Promise<ChildProcess> {
  // BENCH_NODE_ARGS, e.g. --cpu-prof, to profile the router as it fans events out
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'router/index.ts'], {
    cwd: ROOT,
    // the identical crowd is one user opening a thousand subscriptions at once, which the per-user rate
    // limit refuses as it should: what is measured here is the fan-out, not the limit
    env: { ...process.env, RATE_LIMIT_USER_PER_MINUTE: '1000000', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
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

/** A graphql-ws failure: GraphQL errors, a close event (code and reason) or an error. */
function describeFailure(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  const close = error as { code?: unknown; reason?: unknown; message?: unknown };
  if (typeof close.code === 'number') return `socket closed ${close.code} ${String(close.reason ?? '')}`;
  return String(close.message ?? error);
}

async function main() {
  // tokens for the distinct crowd are signed with the key the accounts subgraph signs with
  const env = { ...process.env, JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const issuer = await TokenIssuer.create(accountsConfig(env), env);
  // fresh databases (and Redis stream) of its own on DATABASE_URL / REDIS_URL when set, dropped at the end
  const stack = await startTestStack({ env });
  const port = 4700;
  const routerEnv: Record<string, string> = {
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
      for (const crowd of CROWDS) {
        // a fresh router for each run, so that its memory is measured from the same start
        router = await startRouterProcess(routerEnv, port);
        const line = await measure(api, router.pid!, size, crowd, issuer, () => stack.subgraphs.orders.activeSubscriptions());
        console.log(line);
        results.push(line);
        await stopProcess(router);
      }
    }
  } finally {
    if (router) await stopProcess(router);
    await stack.stop();
  }
  console.log(['', 'subscription fan-out (one router process, one seller\'s orders followed by every subscriber):', ...results].join('\n'));
}

async function measure(
  api: GraphQLClient,
  routerPid: number,
  size: number,
  crowd: Crowd,
  issuer: TokenIssuer,
  /** Subscriptions open on the orders subgraph: the router's upstream ones. */
  upstream: () => number,
): Promise<string> {
  const seller = await newSeller(api, { shopName: `Bench ${size} ${crowd}` });
  const buyer = await signUp(api);
  const listing = await newListing(seller.client, { title: 'Bench lamp', stock: 1000 });
  const sellerViewer = viewerFromClaims(decodeJwt(seller.client.token!));
  const tokens =
    crowd === 'identical'
      ? Array.from({ length: size }, () => seller.client.token!)
      : await Promise.all(Array.from({ length: size }, () => issuer.sign({ ...sellerViewer, userId: randomUUID() })));
  await sleep(1000);
  const baseline = rssOf(routerPid);

  const latencies: number[] = [];
  const failures: string[] = [];
  const clients: Client[] = [];
  let connected = 0;
  for (let i = 0; i < size; i++) {
    const client = createClient({
      url: api.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens[i]}` },
      retryAttempts: 0,
      on: { connected: () => void connected++ },
    });
    clients.push(client);
    client.subscribe<{ orderStatusChanged: { at: string } }>(
      { query: operation('OrderStatusChanged'), variables: {} },
      {
        next: ({ data, errors }) => {
          if (data) latencies.push(Date.now() - Date.parse(data.orderStatusChanged.at));
          else failures.push(JSON.stringify(errors));
        },
        error: (error) => failures.push(describeFailure(error)),
        complete: () => undefined,
      },
    );
    if (i % 500 === 499) await sleep(50);
  }
  // every subscriber connected and every subscription at orders (identical ones share a single one)
  // before the first change; then a moment for the subscribe messages that follow each connection
  const opened = Date.now();
  while ((connected + failures.length < size || upstream() < (crowd === 'identical' ? 1 : size - failures.length)) && Date.now() - opened < 180_000) await sleep(100);
  await sleep(Math.max(2000, size / 2));
  const withSubscribers = rssOf(routerPid);

  let expected = 0;
  const cpuBefore = cpuMsOf(routerPid);
  for (let n = 0; n < ORDERS; n++) {
    const purchase = await checkOut(buyer, [listing]);
    const orderId = purchase.orders[0].id;
    await payByTestCard(buyer, purchase.paymentId);
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
  const deadline = Date.now() + 180_000;
  while (latencies.length < expected && Date.now() < deadline) await sleep(100);
  const routerCpu = cpuMsOf(routerPid) - cpuBefore;
  await Promise.all(clients.map((c) => c.dispose()));
  const sorted = [...latencies].sort((a, b) => a - b);
  return (
    `${size} ${crowd} subscribers: ${latencies.length}/${expected} events delivered (${failures.length} errors${failures[0] ? `: ${failures[0].slice(0, 200)}` : ''}), ` +
    `latency p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms; router RSS ` +
    `${(baseline / 2 ** 20).toFixed(0)} MiB → ${(withSubscribers / 2 ** 20).toFixed(0)} MiB, ${((withSubscribers - baseline) / size / 1024).toFixed(1)} KiB per subscriber; ` +
    `router CPU ${((routerCpu / Math.max(1, latencies.length)) * 1000).toFixed(0)} ms per 1,000 deliveries`
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
