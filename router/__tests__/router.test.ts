import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { createLogger } from '../../lib/logger';
import { readBody } from '../../lib/server/http';
import { startRouter, type RunningRouter } from '../server';

/**
 * The router serves any composed supergraph, not only the marketplace's: here, one made of a foreign
 * subgraph that knows nothing of our signed headers, routed by the URL in the file or by an override.
 */
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query { greeting: String! seenHeaders: [String!]! }
`);

function foreignSubgraph(greeting: string): Promise<{ server: Server; url: string }> {
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: {
      Query: {
        greeting: () => greeting,
        seenHeaders: (_root: unknown, _args: unknown, ctx: unknown) => (ctx as { headers: string[] }).headers,
      },
    },
  });
  const server = createServer(async (req, res) => {
    const { query, variables } = JSON.parse(await readBody(req));
    const result = await graphql({ schema, source: query, variableValues: variables, contextValue: { headers: Object.keys(req.headers) } });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(result));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` })),
  );
}

let first: { server: Server; url: string };
let second: { server: Server; url: string };
let supergraphPath: string;
const routers: RunningRouter[] = [];

beforeAll(async () => {
  first = await foreignSubgraph('hello from the file');
  second = await foreignSubgraph('hello from the override');
  const composed = composeServices([{ name: 'greeter', url: first.url, typeDefs }]);
  if (!composed.supergraphSdl) throw new Error(String(composed.errors));
  supergraphPath = join(mkdtempSync(join(tmpdir(), 'supergraph-')), 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);
});
afterAll(async () => {
  await Promise.all(routers.map((r) => r.stop()));
  first.server.close();
  second.server.close();
});

async function router(subgraphUrls: Record<string, string> = {}) {
  const running = await startRouter(
    { port: 0, host: '127.0.0.1', supergraphPath, subgraphUrls, routerSecret: 's'.repeat(32), tokenSources: [], introspection: false, playground: false },
    createLogger(),
  );
  routers.push(running);
  return running;
}

interface Answer {
  data?: unknown;
  errors?: { extensions: { code: string } }[];
}

const ask = async (url: string, query: string) =>
  (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json()) as Answer;

test('routes to the URL written in the supergraph, signing every request', async () => {
  const { url } = await router();
  expect(await ask(url, '{ greeting seenHeaders }')).toEqual({
    data: { greeting: 'hello from the file', seenHeaders: expect.arrayContaining(['x-viewer-signature', 'x-viewer-timestamp']) },
  });
});

test('a configured URL overrides the one in the file', async () => {
  const { url } = await router({ greeter: second.url });
  expect(await ask(url, '{ greeting }')).toEqual({ data: { greeting: 'hello from the override' } });
});

test('health is always up; ready names the subgraphs it cannot reach', async () => {
  const { url } = await router({ greeter: 'http://127.0.0.1:9/graphql' });
  expect((await fetch(new URL('/health', url))).status).toBe(200);
  const ready = await fetch(new URL('/ready', url));
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'unavailable', down: ['greeter'] });
  const upstream = await router();
  expect((await fetch(new URL('/ready', upstream.url))).status).toBe(200);
});

test('introspection can be turned off', async () => {
  const { url } = await router();
  const result = await ask(url, '{ __schema { types { name } } }');
  expect(result.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
});
