import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { formatErrorForClient } from '../../lib/errors';
import { createLogger } from '../../lib/logger';
import { routerConfigFromEnv } from '../config';
import { startRouter, type RunningRouter } from '../server';
import { calls, ERROR_SUBGRAPHS, serveErrorSubgraph, typeDefsOf, UNSERVED, type ServedSubgraph } from './error-subgraphs';

/**
 * Subgraph errors, partial data, nulls where the schema says non-null, unreachable subgraphs and
 * failing mutations, answered by the router's own executor exactly as by @apollo/gateway's: the
 * router on each executor, and the stock @apollo/server + @apollo/gateway formatting errors as the
 * router does, give deep-equal answers; the lean executor gave them, and ran each mutation once.
 */
const work = mkdtempSync(join(tmpdir(), 'lean-errors-'));
let subgraphs: ServedSubgraph[] = [];
let stock: ApolloServer;
let stockUrl: string;
let lean: RunningRouter;
let gateway: RunningRouter;
beforeAll(async () => {
  subgraphs = await Promise.all(ERROR_SUBGRAPHS.map(serveErrorSubgraph));
  const composed = composeServices(ERROR_SUBGRAPHS.map((name, i) => ({ name, url: subgraphs[i].url, typeDefs: typeDefsOf(name) })));
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
  const supergraphPath = join(work, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);
  stock = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl }), formatError: (formatted) => formatErrorForClient(formatted) });
  stockUrl = (await startStandaloneServer(stock, { listen: { port: 0, host: '127.0.0.1' } })).url;
  const config = routerConfigFromEnv({ SUPERGRAPH_PATH: supergraphPath, ROUTER_SECRET: 'a-router-secret-of-at-least-32-characters', DATA_DIR: work, MAX_COST: '1000000' });
  const logger = createLogger({}, { level: 'silent' });
  lean = await startRouter({ ...config, port: 0, host: '127.0.0.1' }, logger);
  gateway = await startRouter({ ...config, port: 0, host: '127.0.0.1', executor: 'gateway' }, logger);
});
afterAll(async () => {
  await lean?.stop();
  await gateway?.stop();
  await stock?.stop();
  await Promise.all(subgraphs.map(({ server }) => server && new Promise((resolve) => server.close(resolve))));
  rmSync(work, { recursive: true, force: true });
});

async function leanExecutions(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', lean.url))).text();
  return Number(/^router_executions_total\{executor="lean"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

type Answer = Awaited<ReturnType<GraphQLClient['query']>>;

/** One case through each server in turn (not at once: errors arrive in the order subgraphs answer). */
async function answers(query: string, variables: Record<string, unknown>, withStock: boolean) {
  const ask = (url: string) => new GraphQLClient(url).query(query, variables);
  const result: Record<string, Answer> = { lean: await ask(lean.url), gateway: await ask(gateway.url) };
  if (withStock) result.stock = await ask(stockUrl);
  return result;
}

function expectSame(query: string, all: Record<string, Answer>) {
  for (const [name, answer] of Object.entries(all)) {
    if (!isDeepStrictEqual(all.lean, answer)) throw new Error(`lean and ${name} differ for ${query}:\n${JSON.stringify(all.lean)}\n${JSON.stringify(answer)}`);
  }
}

const ITEM = 'fragment F on Item { id stock }';
const QUERIES: [string, Record<string, unknown>][] = [
  ['{ items { id name stock } }', {}], // an entity whose lookup fails, one resolved to null, one whose stock fails: the nullable list goes null
  ['{ items { id name warehouse } }', {}], // a nullable field's error: the rest stays
  ['{ item(id: "3") { id name stock } }', {}], // null where Int! stood, no subgraph error: the gateway's value completion
  ['{ strict { id stock } }', {}], // the null bubbles up to data
  ['{ failing missing { id } item(id: "1") { name } }', {}], // an error of no code (internal to the client) and a NOT_FOUND
  ['{ mustHave { id } }', {}],
  [`{ a: item(id: "4") { ...F } b: item(id: "1") { ...F } c: item(id: "2") { ...F name } } ${ITEM}`, {}],
  ['query One($id: ID!) { item(id: $id) { id stock } }', {}], // a variable missing: refused before any fetch
  ['query One($id: ID!) { item(id: $id) { id stock } }', { id: 4 }],
];

test('subgraph errors, partial data and nulls answer as the stock gateway answers them, from the lean executor', async () => {
  const before = await leanExecutions();
  for (const [query, variables] of QUERIES) {
    const all = await answers(query, variables, true);
    expect(all.lean.errors?.length || 'extensions' in all.lean).toBeTruthy(); // every case fails somewhere (valueCompletion: in extensions)
    expectSame(query, all);
  }
  expect((await leanExecutions()) - before).toBe(QUERIES.length);
});

test('a subgraph that cannot be reached fails its part only, as on the gateway', async () => {
  const before = await leanExecutions();
  for (const query of ['{ item(id: "1") { id name reviews stock } }', '{ news }', '{ items { id reviews } news stockHealth }']) {
    const all = await answers(query, {}, false);
    expect(all.lean.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(all.lean.errors?.[0]?.message).toContain(UNSERVED);
    expectSame(query, all);
  }
  expect((await leanExecutions()) - before).toBe(3);
});

const MUTATIONS: [string, Partial<typeof calls>][] = [
  ['mutation { a: addItem(name: "Lamp") { id name stock } r: restock(id: "2") b: addItem(name: "Desk") { name } }', { addItem: 2, restock: 1 }],
  ['mutation { rename(id: "99", name: "Ghost") { id } restock(id: "1") }', { rename: 1, restock: 1 }], // a field refused, the next still runs
  ['mutation { restock(id: "3") failHard { id } }', { restock: 1, failHard: 1 }], // a non-null field fails: data is null
  ['mutation Rename($name: String!) { rename(id: "4", name: $name) { id name stock warehouse } }', { rename: 1 }], // its entity's stock fails
];

test('mutations run on the lean executor, in order and once, answering as the gateway does', async () => {
  for (const [mutation, expected] of MUTATIONS) {
    const variables = { name: 'Renamed' };
    const counted = { ...calls };
    const before = await leanExecutions();
    const ours = await new GraphQLClient(lean.url).query(mutation, variables);
    expect((await leanExecutions()) - before).toBe(1);
    // each field ran once for the one request
    for (const [field, times] of Object.entries(expected)) expect(calls[field as keyof typeof calls] - counted[field as keyof typeof calls]).toBe(times);
    const theirs = await new GraphQLClient(gateway.url).query(mutation, variables);
    const stocks = await new GraphQLClient(stockUrl).query(mutation, variables);
    expectSame(mutation, { lean: ours, gateway: theirs, stock: stocks });
  }
});
