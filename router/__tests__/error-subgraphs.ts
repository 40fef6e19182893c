import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, GraphQLError, graphqlSync, parse, type GraphQLSchema } from 'graphql';

/**
 * Small subgraphs that fail in every way the executors must answer alike: errors with and without
 * codes, at the root and inside `_entities`, entities resolved to null without an error (a null
 * where the schema says non-null), partial data, mutations that fail, and a subgraph nobody serves.
 * Mutations are counted, so that a test sees each one run once.
 */
const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

const ITEMS = ['1', '2', '3', '4', '5'].map((id) => ({ id, name: `Item ${id}` }));
const itemOf = (id: string) => ITEMS.find((item) => item.id === id) ?? null;
const notFound = (what: string) => new GraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });

export const calls = { addItem: 0, rename: 0, restock: 0, failHard: 0 };

const schemas: Record<string, GraphQLSchema> = {
  shop: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { item(id: ID!): Item items: [Item!] strict: [Item!]! failing: String missing: Item mustHave: Item! }
      type Mutation { addItem(name: String!): Item! rename(id: ID!, name: String!): Item failHard: Item! }
      type Item @key(fields: "id") { id: ID! name: String! }`),
    resolvers: {
      Query: {
        item: (_: unknown, { id }: { id: string }) => itemOf(id),
        items: () => ITEMS,
        strict: () => ITEMS,
        failing: () => {
          throw new Error('the shop broke'); // no code: the client sees an internal error
        },
        missing: () => {
          throw notFound('Item');
        },
        mustHave: () => {
          throw notFound('Required item');
        },
      },
      Mutation: {
        addItem: (_: unknown, { name }: { name: string }) => {
          calls.addItem += 1;
          return { id: '1', name };
        },
        rename: (_: unknown, { id, name }: { id: string; name: string }) => {
          calls.rename += 1;
          if (!itemOf(id)) throw new GraphQLError('No such item to rename', { extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
          return { id, name };
        },
        failHard: () => {
          calls.failHard += 1;
          throw new GraphQLError('Nothing to fail', { extensions: { code: 'CONFLICT' } });
        },
      },
      Item: { __resolveReference: ({ id }: { id: string }) => itemOf(id) },
    },
  }),
  stock: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { stockHealth: String }
      type Mutation { restock(id: ID!): Int! }
      type Item @key(fields: "id") { id: ID! stock: Int! warehouse: String }`),
    resolvers: {
      Query: { stockHealth: () => 'ok' },
      Mutation: {
        restock: (_: unknown, { id }: { id: string }) => {
          calls.restock += 1;
          return Number(id) * 10;
        },
      },
      Item: {
        // 2: the lookup fails; 3: unknown here, without an error; 4: its stock fails; 5: its warehouse fails
        __resolveReference: async ({ id }: { id: string }) => {
          // asynchronously, so that one failed lookup fails its own entity only
          if (id === '2') throw new Error('stock lookup failed');
          return id === '3' ? null : { id };
        },
        stock: ({ id }: { id: string }) => {
          if (id === '4') throw notFound('Stock');
          return Number(id) * 7;
        },
        warehouse: ({ id }: { id: string }) => {
          if (id === '5') throw new GraphQLError('Warehouse closed', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
          return `W${id}`;
        },
      },
    },
  }),
  // composed, but never served: its part of every answer fails as unavailable
  reviews: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { news: String }
      type Item @key(fields: "id") { id: ID! reviews: [String] }`),
    resolvers: {},
  }),
};

export const ERROR_SUBGRAPHS = Object.keys(schemas);
export const UNSERVED = 'reviews';

/** The type definitions each subgraph composes with (its `_service { sdl }`). */
export function typeDefsOf(name: string) {
  const result = graphqlSync({ schema: schemas[name], source: '{ _service { sdl } }' });
  return parse((result.data as { _service: { sdl: string } })._service.sdl);
}

export interface ServedSubgraph {
  url: string;
  server?: Server;
}

/** Serves a subgraph on a free port; the unserved one gets a port nothing listens on. */
export async function serveErrorSubgraph(name: string): Promise<ServedSubgraph> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      const answer = JSON.stringify(await graphql({ schema: schemas[name], source: query, variableValues: variables, operationName }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  if (name !== UNSERVED) return { url, server };
  await new Promise((resolve) => server.close(resolve));
  return { url };
}
