import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { GraphQLClient } from '../lib/client/graphql-client';
import { dropDatabase } from '../lib/db/data-source';
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

    // checkout calls listings and payments directly; payment reaches orders through Redis Streams
    const buyer = client.as(
      (await client.ok<{ signUp: { token: string } }>('SignUp', { input: { email: `buyer-${email}`, password: 'smoke test password' } })).signUp.token,
    );
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
  } finally {
    await stopAll();
  }
  const unclean = children.filter(({ child }) => child.exitCode !== 0);
  if (unclean.length) throw new Error(`did not stop cleanly: ${unclean.map((c) => `${c.name} (${c.child.exitCode ?? c.child.signalCode})`).join(', ')}`);
  console.log('compose-smoke: every service stopped cleanly');
}

main().catch((error: unknown) => {
  console.error('compose-smoke failed:', error);
  process.exit(1);
});
