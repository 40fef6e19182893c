import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { signViewer } from '../../lib/auth/viewer';
import { operation } from '../../lib/client/operations';
import { ROOT } from '../../schema/subgraphs';
import { CATEGORIES, random, vocabulary } from './catalogue';
import { ownPostgres, type OwnPostgres } from './own-postgres';
import { cpuPerRequest, sampleCpu } from './cpu';
import { nextLine, spawnService, stopProcess } from './processes';
import { Agent, request } from 'undici';

/**
 * Search at scale, measured: loads BENCH_LISTINGS listings (default 1,000,000 on PostgreSQL, 20,000
 * embedded), starts the subgraphs and the router as processes of their own, and sends each kind of
 * search from BENCH_CLIENTS concurrent clients (16) for BENCH_SECONDS (20) after a warm-up, through
 * the router with the contract's SearchListings and, beside it, straight to the listings subgraph
 * (the floor: the same selection, listings answering it alone, without the router). Every response is
 * checked for errors. Prints p50/p95/p99 and throughput per kind and writes them to
 * scripts/bench/results/search-<N>.json. `npm run bench:search`; see README.md.
 */
const postgres = process.env.BENCH_POSTGRES === 'own' ? 'own' : process.env.DATABASE_URL ? 'server' : 'embedded';
const LISTINGS = Number(process.env.BENCH_LISTINGS ?? (postgres === 'embedded' ? 20_000 : 1_000_000));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/**
 * A fresh stack first serves the mix of every kind this long, through the router and directly: the
 * JIT compiler and PostgreSQL's caches take seconds to settle, and a first kind measured cold would
 * carry it (the router then spent over twice its settled CPU per request).
 */
const STACK_WARMUP_SECONDS = Number(process.env.BENCH_STACK_WARMUP_SECONDS ?? 15);
const ROUTER_PORT = Number(process.env.BENCH_ROUTER_PORT ?? 4790);
const KINDS_WANTED = process.env.BENCH_KINDS?.split(',');

type Variables = Record<string, unknown>;
interface Kind {
  name: string;
  variables: () => Variables;
}

const FLOOR_QUERY = `query SearchListingsFloor($query: String, $filter: ListingFilter, $sort: ListingSort, $first: Int, $after: String) {
  listings(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount totalCountIsExact
    edges { cursor node { id title price { amount currency formatted } stock seller { id shopName reputation { score reviewCount } } } }
    pageInfo { hasNextPage endCursor }
    facets { categories { value count } }
  }
}`;

const say = (message: string) => console.log(message);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface Target {
  name: 'router' | 'floor';
  send(variables: Variables): Promise<{ ok: boolean; error?: string }>;
}

/** The clients' connections: undici's request API, so that the load costs the machine little of its own. */
const clientAgent = new Agent({ connections: CLIENTS });

function target(name: Target['name'], url: string, query: string, headers: (body: string) => Record<string, string>): Target {
  return {
    name,
    async send(variables) {
      const body = JSON.stringify({ query, variables });
      const response = await request(url, {
        dispatcher: clientAgent,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers(body) },
        body,
      });
      const answer = (await response.body.json()) as { data?: { listings?: unknown }; errors?: unknown[] };
      if (answer.errors?.length || !answer.data?.listings) return { ok: false, error: JSON.stringify(answer.errors ?? answer).slice(0, 300) };
      return { ok: true };
    },
  };
}

interface Measured {
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU milliseconds one request cost each part: the router, the subgraphs, PostgreSQL, the clients. */
  cpuMsPerRequest: Record<string, number>;
}

/** CLIENTS loops sending one kind for `seconds`; latencies of the timed part only. */
async function measure(to: Target, kind: Kind, seconds: number, pids: Record<string, number | undefined>): Promise<Measured & { firstError?: string }> {
  const cpuBefore = sampleCpu(pids);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const sent = performance.now();
        const result = await to.send(kind.variables()).catch((error: unknown) => ({ ok: false, error: String(error) }));
        latencies.push(performance.now() - sent);
        if (!result.ok) {
          errors++;
          firstError ??= result.error;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const cpuMsPerRequest = cpuPerRequest(cpuBefore, sampleCpu(pids), latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    cpuMsPerRequest,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    firstError,
  };
}

interface Stack {
  routerUrl: string;
  listingsUrl: string;
  /** The processes whose CPU time a measurement reports. */
  pids: Record<string, number | undefined>;
  stop(): Promise<void>;
}

/** The subgraphs (one process) and the router (another), with the search cache on or off. */
async function startBenchStack(databaseUrl: string | undefined, secret: string, cache: boolean): Promise<Stack> {
  const services = spawnService('scripts/bench/search-services.ts', {
    ROUTER_SECRET: secret,
    BENCH_LISTINGS: String(LISTINGS),
    SEARCH_CACHE: String(cache),
    ...(databaseUrl ? { BENCH_DATABASE_URL: databaseUrl } : {}),
  });
  let router: ChildProcess | undefined;
  const stop = async () => {
    await stopProcess(router);
    await stopProcess(services);
  };
  try {
    const { urls } = await nextLine<{ urls: Record<string, string> }>(services);
    router = spawnService('router/index.ts', {
      PORT: String(ROUTER_PORT),
      HOST: '127.0.0.1',
      ROUTER_SECRET: secret,
      JWT_JWKS_URL: new URL('/.well-known/jwks.json', urls.accounts).toString(),
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(1e9),
      ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [`SUBGRAPH_URL_${name.toUpperCase()}`, url])),
    });
    for (let i = 0; ; i++) {
      if (await fetch(`http://127.0.0.1:${ROUTER_PORT}/ready`).then((r) => r.ok, () => false)) break;
      if (i > 300) throw new Error('the router did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      routerUrl: `http://127.0.0.1:${ROUTER_PORT}/graphql`,
      listingsUrl: urls.listings,
      pids: { router: router.pid, subgraphs: services.pid, clients: process.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The search cache's lookups so far (skipped: searches seen for the first time), from the listings subgraph's /metrics. */
async function cacheLookups(listingsUrl: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(new URL('/metrics', listingsUrl))).text();
  const sum = (result: string) =>
    // (labels in any order: the service's default label comes with them)
    [...text.matchAll(new RegExp(`^search_cache_lookups_total\\{(?=[^}]*kind="page")(?=[^}]*result="${result}")[^}]*\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { hits: sum('hit'), misses: sum('miss') + sum('skipped') };
}

function kindsOf(secondPages: Variables[]): Kind[] {
  const words = vocabulary();
  const next = random(99);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const common = words.slice(0, 20);
  const rare = words.slice(2000);
  const middling = words.slice(10, 300);
  const priceRange = () => {
    const low = Math.round(100 * 1000 ** (next() * 0.8));
    return { minPrice: low, maxPrice: low * (2 + Math.floor(next() * 4)) };
  };
  const kinds: Kind[] = [
    { name: 'common word, RELEVANCE', variables: () => ({ query: pick(common), first: 20 }) },
    { name: 'rare word', variables: () => ({ query: pick(rare), first: 20 }) },
    { name: 'two words', variables: () => ({ query: `${pick(middling)} ${pick(middling)}`, first: 20 }) },
    { name: 'category + price, PRICE_ASC', variables: () => ({ filter: { category: pick(CATEGORIES), ...priceRange() }, sort: 'PRICE_ASC', first: 20 }) },
    { name: 'NEWEST, no text', variables: () => ({ sort: 'NEWEST', first: 20 }) },
    { name: 'second page of a common word', variables: () => pick(secondPages) },
    { name: 'RATING, category', variables: () => ({ filter: { category: pick(CATEGORIES) }, sort: 'RATING', first: 20 }) },
  ];
  kinds.push({ name: 'mix of all', variables: () => pick(kinds.slice(0, 7)).variables() });
  return KINDS_WANTED ? kinds.filter((kind) => KINDS_WANTED.some((wanted) => kind.name.startsWith(wanted))) : kinds;
}

/** The second page of each common word, found once through the router. */
async function secondPagesOf(routerUrl: string): Promise<Variables[]> {
  const pages: Variables[] = [];
  for (const query of vocabulary().slice(0, 20)) {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: operation('SearchListings'), variables: { query, first: 20 } }),
    });
    const body = (await response.json()) as { data: { listings: { pageInfo: { endCursor: string } } } };
    pages.push({ query, first: 20, after: body.data.listings.pageInfo.endCursor });
  }
  return pages;
}

type Phase = 'cold' | 'warm';
type Results = Record<string, Partial<Record<`${Phase} ${Target['name']}`, Measured>> & { hitRatio?: number }>;

/**
 * One phase: cold runs with the search cache off (every search reaches PostgreSQL), warm with it on
 * (the kinds repeat a bounded set of searches, as real traffic does; the hit ratio says how many the
 * cache answered).
 */
async function runPhase(phase: Phase, databaseUrl: string | undefined, secret: string, results: Results): Promise<boolean> {
  const stack = await startBenchStack(databaseUrl, secret, phase === 'warm');
  let failed = false;
  try {
    const targets: Target[] = [
      target('router', stack.routerUrl, operation('SearchListings'), () => ({})),
      target('floor', stack.listingsUrl, FLOOR_QUERY, (body) => signViewer(null, secret, body)),
    ];
    const kinds = kindsOf(await secondPagesOf(stack.routerUrl));
    const mix = kinds.find((kind) => kind.name === 'mix of all') ?? kinds[0];
    if (mix) for (const to of targets) await measure(to, mix, STACK_WARMUP_SECONDS / targets.length, stack.pids);
    for (const kind of kinds) {
      const entry = (results[kind.name] ??= {});
      const before = phase === 'warm' ? await cacheLookups(stack.listingsUrl) : undefined;
      for (const to of targets) {
        await measure(to, kind, WARMUP_SECONDS, stack.pids);
        const { firstError, ...figures } = await measure(to, kind, SECONDS, stack.pids);
        entry[`${phase} ${to.name}`] = figures;
        if (figures.errors) {
          failed = true;
          say(`  ${kind.name} via ${to.name}: ${figures.errors} responses with errors, e.g. ${firstError}`);
        }
        const cpu = Object.entries(figures.cpuMsPerRequest).map(([part, ms]) => `${part} ${ms.toFixed(1)}`).join(', ');
        const line = `${phase} ${kind.name.padEnd(30)} ${to.name.padEnd(6)} p50 ${figures.p50.toFixed(1)} p95 ${figures.p95.toFixed(1)} p99 ${figures.p99.toFixed(1)} ms, ${figures.perSecond.toFixed(0)}/s; CPU ms a request: ${cpu}`;
        say(line);
      }
      if (before) {
        const after = await cacheLookups(stack.listingsUrl);
        const hits = after.hits - before.hits;
        const lookups = hits + after.misses - before.misses;
        entry.hitRatio = lookups ? hits / lookups : 0;
      }
    }
  } finally {
    await stack.stop();
  }
  return failed;
}

async function main() {
  let own: OwnPostgres | undefined;
  try {
    let databaseUrl: string | undefined;
    if (postgres === 'own') {
      own = await ownPostgres();
      databaseUrl = own.url;
      say(`PostgreSQL of the benchmark's own on ${own.url}, with docker-compose.yml's settings: ${own.settings.join(' ')}`);
      say(
        own.hugePagesMb
          ? `huge pages: ${own.hugePagesMb} MB free for its buffers`
          : 'huge pages: none (as root, `sysctl -w vm.nr_hugepages=1700` gives its 3 GB of buffers huge pages, as a production host would)',
      );
    } else if (postgres === 'server') {
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = '/marketplace_bench_search';
      databaseUrl = url.toString();
    }
    const secret = randomBytes(32).toString('base64url');
    say(`search benchmark: ${LISTINGS.toLocaleString('en')} listings on ${postgres === 'embedded' ? 'embedded PGlite' : databaseUrl}, ${CLIENTS} clients, ${SECONDS} s per kind`);
    const results: Results = {};
    const phases = (process.env.BENCH_PHASES ?? 'cold,warm').split(',') as Phase[];
    let failed = false;
    for (const phase of phases) failed = (await runPhase(phase, databaseUrl, secret, results)) || failed;

    const ms = (m?: Measured) => (m ? `${m.p50.toFixed(1)} / ${m.p95.toFixed(1)} / ${m.p99.toFixed(1)} ms, ${m.perSecond.toFixed(0)}/s` : '');
    say('\np50 / p95 / p99, throughput');
    say('| query kind | cold, through the router | cold, listings alone | warm, through the router | warm, listings alone | cache hits |');
    say('|---|---|---|---|---|---:|');
    for (const [name, r] of Object.entries(results)) {
      const hits = r.hitRatio === undefined ? '' : `${(100 * r.hitRatio).toFixed(0)} %`;
      say(`| ${name} | ${ms(r['cold router'])} | ${ms(r['cold floor'])} | ${ms(r['warm router'])} | ${ms(r['warm floor'])} | ${hits} |`);
    }
    const dir = process.env.BENCH_RESULTS_DIR ?? join(ROOT, 'scripts', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `search-${LISTINGS}.json`);
    const hugePagesMb = own?.hugePagesMb;
    writeFileSync(file, `${JSON.stringify({ listings: LISTINGS, clients: CLIENTS, seconds: SECONDS, postgres, hugePagesMb, at: new Date().toISOString(), results }, null, 2)}\n`);
    say(`\nwritten to ${file}`);
    if (failed) process.exitCode = 1;
  } finally {
    await clientAgent.close();
    await own?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
