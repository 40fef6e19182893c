import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { createLogger } from '../../lib/logger';
import { DEMO_SUBGRAPHS, demoSdl, NESTED_QUERY, serveDemoSubgraph, type Served } from '../../scripts/bench/gateway/demo-subgraphs';
import { routerConfigFromEnv } from '../config';
import { startRouter, type RunningRouter } from '../server';

/**
 * The router against the stock @apollo/server + @apollo/gateway on the federation demo (entities
 * across four subgraphs, @requires, @provides, lists of entities, aliases, variables, nulls): the
 * same answers, and the router's own executor is the one that gave them.
 */
const work = mkdtempSync(join(tmpdir(), 'federation-demo-'));
let subgraphs: Served[] = [];
let stock: ApolloServer;
let stockUrl: string;
let router: RunningRouter;
beforeAll(async () => {
  subgraphs = await Promise.all(DEMO_SUBGRAPHS.map(serveDemoSubgraph));
  const composed = composeServices(
    await Promise.all(DEMO_SUBGRAPHS.map(async (name, i) => ({ name, url: subgraphs[i].url, typeDefs: parse(await demoSdl(name)) }))),
  );
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
  const supergraphPath = join(work, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);
  stock = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl }) });
  stockUrl = (await startStandaloneServer(stock, { listen: { port: 0, host: '127.0.0.1' } })).url;
  const config = routerConfigFromEnv({ SUPERGRAPH_PATH: supergraphPath, ROUTER_SECRET: 'a-router-secret-of-at-least-32-characters', DATA_DIR: work, MAX_COST: '1000000' });
  router = await startRouter({ ...config, port: 0, host: '127.0.0.1' }, createLogger({}, { level: 'silent' }));
});
afterAll(async () => {
  await router?.stop();
  await stock?.stop();
  await Promise.all(subgraphs.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  rmSync(work, { recursive: true, force: true });
});

const CASES: [string, Record<string, unknown>][] = [
  [NESTED_QUERY, {}],
  ['{ topProducts(first: 2) { upc shippingEstimate } }', {}], // @requires: price and weight come from products first
  ['{ users { username reviews { body author { username } } } }', {}], // @provides: reviews gives the author's username itself
  ['{ me { id reviews { product { __typename upc name inStock } } } }', {}],
  ['query Top($n: Int) { topProducts(first: $n) { name reviews { id author { name } } } }', { n: 3 }],
  ['{ a: topProducts(first: 1) { n: name w: weight s: shippingEstimate } b: users { id } __typename }', {}],
  ['{ user(id: "999") { name reviews { id } } }', {}],
  ['query Maybe($with: Boolean = false) { topProducts { upc reviews @include(if: $with) { id } name @skip(if: $with) } }', {}],
  ['query Maybe($with: Boolean = false) { topProducts { upc reviews @include(if: $with) { id } name @skip(if: $with) } }', { with: true }],
];

test('every case answers as the stock gateway does, from the router’s own executor', async () => {
  const metrics = async () => Number(/^router_executions_total\{executor="lean"[^}]*\} (\d+)/m.exec(await (await fetch(new URL('/metrics', router.url))).text())?.[1] ?? 0);
  const before = await metrics();
  for (const [query, variables] of CASES) {
    const [ours, theirs] = await Promise.all([new GraphQLClient(router.url).query(query, variables), new GraphQLClient(stockUrl).query(query, variables)]);
    expect(ours.errors).toBeUndefined();
    if (!isDeepStrictEqual(ours, theirs)) throw new Error(`answers differ for ${query}:\n${JSON.stringify(ours)}\n${JSON.stringify(theirs)}`);
  }
  expect((await metrics()) - before).toBe(CASES.length);
});
