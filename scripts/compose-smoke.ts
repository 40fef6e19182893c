import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { GraphQLClient } from '../lib/client/graphql-client';
import { dropDatabase } from '../lib/db/data-source';
import { TestSmtpServer } from '../lib/testing/smtp';
import { ROOT } from '../schema/subgraphs';

/**
 * Keeps docker-compose.yml true without a Docker engine: starts every service built from this
 * repository with the command and environment the file gives it, as local processes, with the
 * compose hostnames pointed at this machine, then signs up, lists and searches through the router.
 */
interface Service {
  build?: unknown;
  command: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const ours = Object.entries(compose.services).filter(([, s]) => s.build);
const hosts = new Set(Object.keys(compose.services));

/** `${NAME:-default}` the way compose reads it from the environment. */
const interpolate = (value: string) =>
  value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_m, name: string, fallback = '') => process.env[name] || fallback);
/** Compose's service hostnames become this machine; the in-container data dir becomes a temporary one. */
const localise = (value: string, dataDir: string) =>
  interpolate(value)
    .replace(/(\/\/|@)([a-z-]+):(\d+)/g, (m, lead: string, host: string, port: string) => (hosts.has(host) ? `${lead}127.0.0.1:${port}` : m))
    .replace(/^\/app\/\.data$/, dataDir);

const healthUrl = (service: Service) => {
  const script = service.healthcheck?.test.find((part) => part.includes('fetch('));
  return script ? /fetch\('([^']+)'\)/.exec(script)?.[1] : undefined;
};

async function waitFor(url: string, name: string, child: ChildProcess, seconds = 90): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} was not healthy at ${url} within ${seconds}s`);
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'compose-smoke-'));
  const children: { name: string; child: ChildProcess }[] = [];
  // Mailpit's place: an SMTP server on the port the notifications service sends to
  const smtpUrl = ours.map(([, s]) => s.environment?.SMTP_URL).find(Boolean);
  const mailbox = smtpUrl ? await new TestSmtpServer(Number(new URL(localise(smtpUrl, dataDir)).port)).start() : undefined;
  const stopAll = async () => {
    await Promise.all(
      children.map(({ child }) =>
        child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
      ),
    );
  };
  try {
    // a clean slate, as a fresh docker volume would be
    for (const [, service] of ours) {
      const url = service.environment?.DATABASE_URL;
      if (url) await dropDatabase(localise(url, dataDir));
    }
    const redisUrl = ours.map(([, s]) => s.environment?.REDIS_URL).find(Boolean);
    if (redisUrl) {
      const redis = new Redis(localise(redisUrl, dataDir));
      await redis.del('marketplace:events');
      await redis.quit();
    }
    // Dependencies first: a service starts once everything it depends on is healthy.
    const started = new Set<string>(Object.keys(compose.services).filter((name) => !compose.services[name].build));
    while (started.size < Object.keys(compose.services).length) {
      const ready = ours.filter(([name, s]) => !started.has(name) && Object.keys(s.depends_on ?? {}).every((d) => started.has(d)));
      if (ready.length === 0) throw new Error('docker-compose.yml has a dependency cycle');
      await Promise.all(
        ready.map(async ([name, service]) => {
          const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, localise(String(v), dataDir)]));
          const [command, ...args] = service.command;
          const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
          children.push({ name, child });
          const health = healthUrl(service);
          if (!health) throw new Error(`${name} has no HTTP healthcheck`);
          await waitFor(health, name, child);
          console.log(`compose-smoke: ${name} is healthy (${command} ${args.join(' ')})`);
          started.add(name);
        }),
      );
    }

    const client = new GraphQLClient('http://127.0.0.1:4000/graphql');
    const email = `smoke-${randomBytes(4).toString('hex')}@example.com`;
    const { signUp } = await client.ok<{ signUp: { token: string } }>('SignUp', { input: { email, password: 'smoke test password' } });
    const { becomeSeller } = await client
      .as(signUp.token)
      .ok<{ becomeSeller: { token: string } }>('BecomeSeller', { input: { shopName: `Smoke ${email}`, country: 'US', currency: 'USD' } });
    const seller = client.as(becomeSeller.token);
    const { createListing } = await seller.ok<{ createListing: { id: string } }>('CreateListing', {
      input: { title: 'Smoke-tested kettle', description: 'Boils water', price: { amount: 2500, currency: 'USD' }, category: 'home-garden', stock: 2 },
    });
    await seller.ok('PublishListing', { id: createListing.id });
    const { listings } = await client.ok<{ listings: { edges: { node: { id: string; seller: { shopName: string } } }[] } }>(
      'SearchListings',
      { query: 'kettle' },
    );
    if (!listings.edges.some((e) => e.node.id === createListing.id && e.node.seller.shopName.startsWith('Smoke'))) {
      throw new Error(`search did not find the new listing: ${JSON.stringify(listings)}`);
    }
    console.log('compose-smoke: sign-up, listing and search work through the router');

    // checkout calls listings, accounts and payments directly; payment reaches orders through Redis Streams
    const buyer = client.as(
      (await client.ok<{ signUp: { token: string } }>('SignUp', { input: { email: `buyer-${email}`, password: 'smoke test password' } })).signUp.token,
    );
    // the kettle ships: the buyer needs an address, which checkout asks accounts for
    await buyer.ok('AddAddress', { input: { name: 'Smoke Buyer', line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' } });
    const { checkout } = await buyer.ok<{ checkout: { orders: { id: string }[]; payment: { id: string } } }>('Checkout', {
      input: { items: [{ listingId: createListing.id, quantity: 1 }], idempotencyKey: randomBytes(8).toString('hex') },
    });
    await buyer.ok('ConfirmTestPayment', { paymentId: checkout.payment.id, card: '4242 4242 4242 4242' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { order } = await buyer.ok<{ order: { status: string } }>('Order', { id: checkout.orders[0].id });
      if (order.status === 'PAID') break;
      if (Date.now() > deadline) throw new Error(`the order stayed ${order.status}: events did not cross processes`);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log('compose-smoke: checkout and payment work across processes (order PAID through Redis)');

    // the seller hears of the paid order by email: notifications heard it through Redis and its worker sent it
    if (mailbox) {
      const sellerEmail = email;
      const mailDeadline = Date.now() + 30_000;
      while (mailbox.to(sellerEmail, 'New order').length === 0) {
        if (Date.now() > mailDeadline) throw new Error(`no NEW_ORDER email reached ${sellerEmail}: ${JSON.stringify(mailbox.received.map((m) => [m.to, m.subject]))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      console.log('compose-smoke: the seller got the new order by email (notifications, over SMTP)');
    }

    // payments' onboarding link names the router (PUBLIC_URL), which passes the page to payments
    const { startPayoutOnboarding } = await seller.ok<{ startPayoutOnboarding: { url: string } }>('StartPayoutOnboarding', {
      returnUrl: 'http://localhost:3000/payouts/done',
      refreshUrl: 'http://localhost:3000/payouts/again',
    });
    const opened = await fetch(startPayoutOnboarding.url, { redirect: 'manual' });
    const { me } = await seller.ok<{ me: { seller: { payoutAccount: { status: string } } } }>('PayoutAccount', {});
    if (opened.status !== 302 || me.seller.payoutAccount.status !== 'ENABLED') {
      throw new Error(`payout onboarding through the router did not complete: ${opened.status}, ${me.seller.payoutAccount.status}`);
    }
    console.log('compose-smoke: payout onboarding works through the router’s public address');
    await scrapedByPrometheus(dataDir);
  } finally {
    await stopAll();
    await mailbox?.stop();
  }
  const unclean = children.filter(({ child }) => child.exitCode !== 0);
  if (unclean.length) throw new Error(`did not stop cleanly: ${unclean.map((c) => `${c.name} (${c.child.exitCode ?? c.child.signalCode})`).join(', ')}`);
  console.log('compose-smoke: every service stopped cleanly');
}

/** A `prometheus` binary on PATH, if there is one. */
function prometheusBinary(): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'prometheus')).find((file) => existsSync(file));
}

async function prometheusApi<T>(path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}${path}`);
  return ((await response.json()) as { data: T }).data;
}

const PROMETHEUS_PORT = 9391;

/**
 * docker-compose.yml's Prometheus, as a local process with the project's scrape configuration and
 * alert rules (ops/prometheus), pointed at the services started here: every target must be up, and a
 * query must return what the journey above did. Required in CI (COMPOSE_SMOKE_PROMETHEUS=required).
 */
async function scrapedByPrometheus(dataDir: string): Promise<void> {
  const binary = prometheusBinary();
  if (!binary) {
    if (process.env.COMPOSE_SMOKE_PROMETHEUS === 'required') throw new Error('no prometheus binary on PATH');
    console.log('compose-smoke: no prometheus on PATH: scraping not tried');
    return;
  }
  const dir = join(ROOT, 'ops', 'prometheus');
  const config = readFileSync(join(dir, 'prometheus.yml'), 'utf8')
    .replace(/"([a-z-]+):(\d+)"/g, (m, host: string, port: string) => (hosts.has(host) ? `"127.0.0.1:${port}"` : m))
    .replace(/(scrape_interval|evaluation_interval): 15s/g, '$1: 1s')
    .replace('- alerts.yml', `- ${join(dir, 'alerts.yml')}`);
  const configFile = join(dataDir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const child = spawn(binary, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dataDir, 'prometheus')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    await waitFor(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`, 'prometheus', child, 30);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { activeTargets } = await prometheusApi<{ activeTargets: { scrapeUrl: string; health: string }[] }>('/api/v1/targets');
      const down = activeTargets.filter((target) => target.health !== 'up');
      if (activeTargets.length === ours.length && down.length === 0) break;
      if (Date.now() > deadline) throw new Error(`prometheus targets not all up: ${JSON.stringify(activeTargets)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const { groups } = await prometheusApi<{ groups: { rules: unknown[] }[] }>('/api/v1/rules');
    const rules = groups.reduce((n, group) => n + group.rules.length, 0);
    const query = encodeURIComponent('sum(graphql_operations_total{service="router"})');
    const { result } = await prometheusApi<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${query}`);
    const operations = Number(result[0]?.value[1] ?? 0);
    if (rules === 0 || !(operations > 0)) throw new Error(`prometheus has ${rules} rules and counted ${operations} operations through the router`);
    console.log(`compose-smoke: prometheus scrapes all ${ours.length} services, holds ${rules} alert rules, and counted ${operations} operations through the router`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error('compose-smoke failed:', error);
  process.exit(1);
});
