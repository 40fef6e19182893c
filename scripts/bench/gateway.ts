import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { randomBytes } from 'node:crypto';
import { composeServices } from '@apollo/composition';
import autocannon from 'autocannon';
import { parse } from 'graphql';
import { ROOT } from '../../schema/subgraphs';
import { vocabulary } from './catalogue';
import { cpuPerRequest, sampleCpu } from './cpu';
import { nextLine, spawnService, stopProcess } from './processes';
import { NESTED_QUERY } from './gateway/demo-subgraphs';

/**
 * The router against the stock gateway, side by side in one run: `npm run bench:gateway` starts the
 * four subgraphs of the federation demo (scripts/bench/gateway/demo-subgraphs.ts), composes them,
 * starts the stock `@apollo/server` + `@apollo/gateway` and the project's router on that supergraph,
 * checks that both answer the nested query of The Guild's gateway benchmark alike, then loads each in
 * turn (BENCH_ROUNDS interleaved rounds of BENCH_SECONDS, BENCH_CONNECTIONS connections, autocannon)
 * and prints requests per second, p50/p99 latency, CPU per request, subgraph calls per request (one
 * request alone, and under the load) and the ratio to stock. The router runs twice: as configured by
 * default, where identical subgraph reads in flight share one request (the 50 connections all ask the
 * same query, so many of its reads meet one in flight), and with ROUTER_SHARE_READS=false, where each
 * request sends every read of its plan: what the executor alone is worth. A second case does the same with the marketplace's own SearchListings on its
 * subgraphs (BENCH_LISTINGS listings, 20,000 by default; on DATABASE_URL's server when set, else
 * embedded). BENCH_CASES=nested or =search runs one. Results go to scripts/bench/results/gateway.json.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CASES = (process.env.BENCH_CASES ?? 'nested,search').split(',');
const SEARCH_LISTINGS = Number(process.env.BENCH_LISTINGS ?? 20_000);
const STOCK_PORT = Number(process.env.BENCH_STOCK_PORT ?? 4890);
const ROUTER_PORT = Number(process.env.BENCH_ROUTER_PORT ?? 4891);
const UNSHARED_PORT = Number(process.env.BENCH_UNSHARED_PORT ?? 4892);
/** The gateways each case loads, in the order of a first round. */
const GATEWAYS = ['stock', 'router', 'router-unshared'] as const;
type Gateway = (typeof GATEWAYS)[number];

const say = (message: string) => console.log(message);

/** One case: the request both gateways are loaded with. */
interface Case {
  name: string;
  body: string;
  /** Subgraph requests so far, where the subgraphs count them. */
  subgraphRequests?: () => Promise<number>;
  pids: (gateway: string) => Record<string, number | undefined>;
}

async function ask(url: string, body: string): Promise<{ status: number; body: { data?: unknown; errors?: unknown[] }; bytes: number }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as { data?: unknown; errors?: unknown[] }, bytes: Buffer.byteLength(text) };
}

async function whenAnswering(url: string, body: string, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if ((await ask(url, body)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every gateway answers as the stock one, without errors; returns the answer's size. */
async function sameAnswers(urls: Record<Gateway, string>, body: string): Promise<number> {
  const answers = Object.fromEntries(await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await ask(url, body)] as const)));
  for (const [name, answer] of Object.entries(answers)) {
    if (answer.status !== 200 || answer.body.errors) throw new Error(`${name} answered with errors: ${JSON.stringify(answer.body.errors)}`);
    if (!isDeepStrictEqual(answer.body, answers.stock.body)) throw new Error(`${name} and the stock gateway answered differently`);
  }
  return answers.stock.bytes;
}

interface Round {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  failures: number;
  cpu: Record<string, number>;
  /** Subgraph requests the round made, where the subgraphs count them. */
  subgraphCalls?: number;
}

async function load(url: string, seconds: number, testCase: Case, gateway: string): Promise<Round> {
  const pids = testCase.pids(gateway);
  const cpuBefore = sampleCpu(pids);
  const callsBefore = await testCase.subgraphRequests?.();
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: testCase.body, connections: CONNECTIONS, duration: seconds });
  const requests = result.requests.total;
  const cpu = cpuPerRequest(cpuBefore, sampleCpu(pids), requests);
  const callsAfter = await testCase.subgraphRequests?.();
  return {
    subgraphCalls: callsBefore === undefined || callsAfter === undefined ? undefined : callsAfter - callsBefore,
    requests,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.non2xx + result.timeouts,
    cpu,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Summary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  cpuMsPerRequest: Record<string, number>;
  /** With nothing else running, and under the load (where identical reads in flight may be shared). */
  subgraphCallsPerRequest?: number;
  subgraphCallsUnderLoad?: number;
  timesStock: number;
}

/** The subgraph requests one request costs, counted on a single request with nothing else running. */
async function subgraphCallsOf(url: string, testCase: Case): Promise<number | undefined> {
  if (!testCase.subgraphRequests) return undefined;
  const before = await testCase.subgraphRequests();
  await ask(url, testCase.body);
  return (await testCase.subgraphRequests()) - before;
}

/** Warm-up, then interleaved rounds; prints and returns each gateway's figures. */
async function compare(urls: Record<Gateway, string>, testCase: Case): Promise<Record<string, Summary>> {
  const bytes = await sameAnswers(urls, testCase.body);
  const calls: Partial<Record<Gateway, number>> = {};
  for (const name of GATEWAYS) calls[name] = await subgraphCallsOf(urls[name], testCase);
  say(`\n${testCase.name}: ${bytes.toLocaleString('en-US')} bytes, the same from each; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each`);
  for (const name of GATEWAYS) await load(urls[name], WARMUP_SECONDS, testCase, name);
  const rounds = Object.fromEntries(GATEWAYS.map((name) => [name, [] as Round[]])) as Record<Gateway, Round[]>;
  for (let round = 0; round < ROUNDS; round += 1) {
    // rotate who goes first, so that none always meets a machine warmed by another
    const order = GATEWAYS.map((_, i) => GATEWAYS[(i + round) % GATEWAYS.length]);
    for (const name of order) {
      const measured = await load(urls[name], SECONDS, testCase, name);
      rounds[name].push(measured);
      say(`round ${round + 1} ${name.padEnd(15)} ${(measured.requests / measured.seconds).toFixed(0)}/s p50 ${measured.p50} ms p99 ${measured.p99} ms`);
    }
  }
  await sameAnswers(urls, testCase.body); // and still after the load
  const summary: Record<string, Summary> = {};
  for (const [name, list] of Object.entries(rounds)) {
    const requests = list.reduce((sum, r) => sum + r.requests, 0);
    const seconds = list.reduce((sum, r) => sum + r.seconds, 0);
    const perRequest = (pick: (r: Round) => number | undefined) => list.reduce((sum, r) => sum + (pick(r) ?? 0) * r.requests, 0) / Math.max(1, requests);
    summary[name] = {
      requestsPerSecond: Math.round(requests / Math.max(1, seconds)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      failures: list.reduce((sum, r) => sum + r.failures, 0),
      cpuMsPerRequest: Object.fromEntries(['gateway', 'subgraphs', 'postgres', 'load'].map((key) => [key, perRequest((r) => r.cpu[key])])),
      subgraphCallsPerRequest: calls[name as Gateway],
      subgraphCallsUnderLoad: list.every((r) => r.subgraphCalls !== undefined)
        ? Math.round((list.reduce((sum, r) => sum + r.subgraphCalls!, 0) / Math.max(1, requests)) * 100) / 100
        : undefined,
      timesStock: 0,
    };
  }
  for (const s of Object.values(summary)) s.timesStock = s.requestsPerSecond / Math.max(1, summary.stock.requestsPerSecond);
  say('| gateway | requests/s | p50 | p99 | CPU ms a request: gateway / subgraphs / PostgreSQL / load | subgraph calls a request: alone / under load | × stock |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, s] of Object.entries(summary)) {
    const cpu = ['gateway', 'subgraphs', 'postgres', 'load'].map((key) => s.cpuMsPerRequest[key].toFixed(2)).join(' / ');
    const callCounts = s.subgraphCallsPerRequest === undefined ? '–' : `${s.subgraphCallsPerRequest} / ${s.subgraphCallsUnderLoad ?? '–'}`;
    say(`| ${name} | ${s.requestsPerSecond} | ${s.p50} ms | ${s.p99} ms | ${cpu} | ${callCounts} | ${s.timesStock.toFixed(2)} |`);
  }
  const failures = Object.values(summary).reduce((sum, s) => sum + s.failures, 0);
  if (failures) throw new Error(`${failures} requests failed under load`);
  return summary;
}

const gatewayUrlsOf = (): Record<Gateway, string> => ({
  stock: `http://127.0.0.1:${STOCK_PORT}/`,
  router: `http://127.0.0.1:${ROUTER_PORT}/graphql`,
  'router-unshared': `http://127.0.0.1:${UNSHARED_PORT}/graphql`,
});

function routerEnv(supergraphPath: string, work: string, port: number, secret: string): Record<string, string> {
  mkdirSync(join(work, `data-${port}`), { recursive: true });
  return {
    SUPERGRAPH_PATH: supergraphPath,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: join(work, `data-${port}`),
    ROUTER_SECRET: secret,
    // one load generator on one address is not the crowd the anonymous quota is for
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(1e9),
    MAX_COST: String(1e9),
  };
}

/** The federation demo's nested query. */
async function nestedCase(work: string): Promise<Record<string, Summary>> {
  const children: ChildProcess[] = [];
  try {
    const subgraphs = spawnService('scripts/bench/gateway/demo-subgraphs-process.ts', {});
    children.push(subgraphs);
    const { urls, sdl } = await nextLine<{ urls: Record<string, string>; sdl: Record<string, string> }>(subgraphs);
    const composed = composeServices(Object.entries(sdl).map(([name, typeDefs]) => ({ name, url: urls[name], typeDefs: parse(typeDefs) })));
    if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
    const supergraphPath = join(work, 'demo-supergraph.graphql');
    writeFileSync(supergraphPath, composed.supergraphSdl);
    const gateways = {
      stock: spawnService('scripts/bench/gateway/stock-gateway.ts', { SUPERGRAPH_PATH: supergraphPath, PORT: String(STOCK_PORT) }),
      router: spawnService('router/index.ts', routerEnv(supergraphPath, work, ROUTER_PORT, randomBytes(32).toString('base64url'))),
      'router-unshared': spawnService('router/index.ts', {
        ...routerEnv(supergraphPath, work, UNSHARED_PORT, randomBytes(32).toString('base64url')),
        ROUTER_SHARE_READS: 'false',
      }),
    };
    children.push(...Object.values(gateways));
    const gatewayUrls = gatewayUrlsOf();
    const body = JSON.stringify({ query: NESTED_QUERY });
    await Promise.all(Object.values(gatewayUrls).map((url) => whenAnswering(url, body)));
    return await compare(gatewayUrls, {
      name: 'nested query (federation demo)',
      body,
      subgraphRequests: async () => {
        const answer = nextLine<{ requests: number }>(subgraphs);
        subgraphs.stdin!.write('stats\n');
        return (await answer).requests;
      },
      pids: (name) => ({ gateway: gateways[name as keyof typeof gateways].pid, subgraphs: subgraphs.pid, load: process.pid }),
    });
  } finally {
    await Promise.all(children.map(stopProcess));
  }
}

/** The marketplace's own SearchListings, on its subgraphs with a catalogue (the search benchmark's services). */
async function searchCase(work: string): Promise<Record<string, Summary>> {
  const children: ChildProcess[] = [];
  try {
    const secret = randomBytes(32).toString('base64url');
    const services = spawnService('scripts/bench/search-services.ts', {
      ROUTER_SECRET: secret,
      BENCH_LISTINGS: String(SEARCH_LISTINGS),
      // one search asked over and over: cached for the whole run, so that every round meets the same subgraphs
      SEARCH_CACHE_TTL_SECONDS: '86400',
      ...(process.env.DATABASE_URL ? { BENCH_DATABASE_URL: process.env.DATABASE_URL.replace(/\/[^/]*$/, '/bench_gateway') } : {}),
    });
    children.push(services);
    const { urls } = await nextLine<{ urls: Record<string, string> }>(services);
    const supergraphPath = join(ROOT, 'schema', 'supergraph.graphql');
    const searchRouterEnv = (port: number) => ({
      ...routerEnv(supergraphPath, work, port, secret),
      JWT_JWKS_URL: new URL('/.well-known/jwks.json', urls.accounts).toString(),
      ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [`SUBGRAPH_URL_${name.toUpperCase()}`, url])),
    });
    const gateways = {
      stock: spawnService('scripts/bench/gateway/stock-gateway.ts', { SUPERGRAPH_PATH: supergraphPath, PORT: String(STOCK_PORT), SUBGRAPH_URLS: JSON.stringify(urls), ROUTER_SECRET: secret }),
      router: spawnService('router/index.ts', searchRouterEnv(ROUTER_PORT)),
      'router-unshared': spawnService('router/index.ts', { ...searchRouterEnv(UNSHARED_PORT), ROUTER_SHARE_READS: 'false' }),
    };
    children.push(...Object.values(gateways));
    const gatewayUrls = gatewayUrlsOf();
    const body = JSON.stringify({ query: readFileSync(join(ROOT, 'schema', 'operations', 'listings.graphql'), 'utf8'), operationName: 'SearchListings', variables: { query: vocabulary()[3], first: 20 } });
    await Promise.all(Object.values(gatewayUrls).map((url) => whenAnswering(url, body)));
    return await compare(gatewayUrls, {
      name: `SearchListings (${SEARCH_LISTINGS.toLocaleString('en-US')} listings, search cache on)`,
      body,
      pids: (name) => ({ gateway: gateways[name as keyof typeof gateways].pid, subgraphs: services.pid, load: process.pid }),
    });
  } finally {
    await Promise.all(children.map(stopProcess));
  }
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  try {
    const results: Record<string, unknown> = { connections: CONNECTIONS, rounds: ROUNDS, seconds: SECONDS };
    if (CASES.includes('nested')) results.nested = await nestedCase(work);
    if (CASES.includes('search')) results.search = await searchCase(work);
    const file = join(ROOT, 'scripts', 'bench', 'results', 'gateway.json');
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    say(`\nwritten to ${file}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
