import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse, type GraphQLSchema } from 'graphql';

/**
 * The classic federation demo (accounts, inventory, products, reviews), written for `npm run
 * bench:gateway`: the domain of The Guild's public gateway benchmark, with enough users, products
 * and reviews that its nested query answers about 50 KB.
 *
 * Each subgraph answers a request body it has answered before from memory: the gateways send the
 * same few requests over and over, and a subgraph that executes each of them again would spend more
 * of the machine's two cores than the gateway it serves, hiding the difference being measured (the
 * public benchmark runs its subgraphs in Rust for the same reason). The first answer to each body is
 * executed for real.
 */
const USERS = Array.from({ length: 8 }, (_, i) => ({ id: String(i + 1), name: `User ${i + 1}`, username: `user${i + 1}`, birthday: 1_000_000 + i }));
const PRODUCTS = Array.from({ length: 5 }, (_, i) => ({ upc: String(i + 1), name: `Product ${i + 1}`, price: 100 * (i + 1) + 899, weight: 10 * (i + 1) }));
const REVIEWS = Array.from({ length: 17 }, (_, i) => ({
  id: String(i + 1),
  body: `Review ${i + 1}: ${'a thoughtful sentence about the product. '.repeat(1 + (i % 3))}`,
  authorId: USERS[i % USERS.length].id,
  upc: PRODUCTS[(i * 7) % PRODUCTS.length].upc,
}));

type User = (typeof USERS)[number];
type Product = Partial<(typeof PRODUCTS)[number]> & { upc: string };
type Review = (typeof REVIEWS)[number];

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

const schemas: Record<string, GraphQLSchema> = {
  accounts: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { me: User users: [User] user(id: ID!): User }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`),
    resolvers: {
      Query: { me: () => USERS[0], users: () => USERS, user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null },
      User: { __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) ?? null },
    },
  }),
  inventory: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`),
    resolvers: {
      Product: {
        __resolveReference: (product: Product) => ({ ...product, inStock: Number(product.upc) % 2 === 1 }),
        // free for expensive items, otherwise estimated from the weight
        shippingEstimate: (product: Product) => ((product.price ?? 0) > 1000 ? 0 : Math.round((product.weight ?? 0) / 2)),
      },
    },
  }),
  products: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`),
    resolvers: {
      Query: { topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first) },
      Product: { __resolveReference: ({ upc }: Product) => PRODUCTS.find((p) => p.upc === upc) ?? null },
    },
  }),
  reviews: buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION}
      type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`),
    resolvers: {
      Review: {
        __resolveReference: ({ id }: { id: string }) => REVIEWS.find((r) => r.id === id) ?? null,
        author: (review: Review) => ({ __typename: 'User', id: review.authorId, username: USERS.find((u) => u.id === review.authorId)?.username }),
        product: (review: Review) => ({ __typename: 'Product', upc: review.upc }),
      },
      User: { reviews: (user: User) => REVIEWS.filter((r) => r.authorId === user.id) },
      Product: { reviews: (product: Product) => REVIEWS.filter((r) => r.upc === product.upc) },
    },
  }),
};

export const DEMO_SUBGRAPHS = Object.keys(schemas);

/** The type definitions each subgraph composes with (its `_service { sdl }`). */
export async function demoSdl(name: string): Promise<string> {
  const result = await graphql({ schema: schemas[name], source: '{ _service { sdl } }' });
  return (result.data as { _service: { sdl: string } })._service.sdl;
}

export interface Served {
  url: string;
  server: Server;
  /** Requests received (answered from memory or not). */
  requests: number;
}

export function serveDemoSubgraph(name: string): Promise<Served> {
  const answers = new Map<string, Buffer>();
  const served: Served = { url: '', server: createServer(), requests: 0 };
  served.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      served.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      let answer = answers.get(body);
      if (!answer) {
        const { query, variables, operationName } = JSON.parse(body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
        answer = Buffer.from(JSON.stringify(await graphql({ schema: schemas[name], source: query, variableValues: variables, operationName })));
        if (answers.size < 10_000) answers.set(body, answer);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
    });
  });
  return new Promise((resolve) =>
    served.server.listen(0, '127.0.0.1', () => {
      served.url = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}/graphql`;
      resolve(served);
    }),
  );
}

/** The shape of the nested query of The Guild's public federation gateway benchmark. */
export const NESTED_QUERY = `
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}`;
