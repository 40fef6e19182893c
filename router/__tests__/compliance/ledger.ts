import { buildSubgraphSchema } from '@apollo/subgraph';
import { typeDefs } from './serve';

/**
 * Mutations in order: two subgraphs append to one log kept in memory. A mutation may be told to take
 * a while first, so that root mutation fields run side by side (against the spec) would reach the
 * log in another order than the operation's. Each append returns its position in the log.
 */
const LOG: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function append(note: string, delayMs: number): Promise<{ position: number; note: string }> {
  await sleep(delayMs);
  LOG.push(note);
  return { position: LOG.length, note };
}

export const orders = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { log: [String!]! }
    type Mutation {
      "empties the log (a mutation of its own, so that each gateway's run starts from an empty one)"
      resetLog: Boolean!
      placeOrder(note: String!, delayMs: Int = 0, upc: String): OrderEntry!
    }
    type OrderEntry { position: Int! note: String! product: Product }
    type Product @key(fields: "upc", resolvable: false) { upc: String! }`),
  resolvers: {
    Query: { log: () => LOG },
    Mutation: {
      resetLog: () => LOG.splice(0).length >= 0,
      placeOrder: async (_: unknown, { note, delayMs, upc }: { note: string; delayMs: number; upc?: string }) => ({
        ...(await append(`order:${note}`, delayMs)),
        product: upc ? { upc } : null,
      }),
    },
  },
});

export const payments = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Mutation { pay(note: String!, delayMs: Int = 0): PaymentEntry! }
    type PaymentEntry { position: Int! note: String! }`),
  resolvers: {
    Mutation: { pay: (_: unknown, { note, delayMs }: { note: string; delayMs: number }) => append(`payment:${note}`, delayMs) },
  },
});
