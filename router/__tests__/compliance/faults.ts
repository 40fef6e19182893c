import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError } from 'graphql';
import { typeDefs } from './serve';

/**
 * Errors and null propagation: `faults` has root fields that throw (with a code clients may see and
 * extensions, or a bare Error whose message must not reach them), a non-null field that resolves to
 * null under a nullable parent and at the root, and adds fields to products that throw or are null
 * for some of them (entity fetches with errors, nulls inside lists). `legacy` is composed and then
 * stopped: a subgraph that refuses connections.
 */
export const faults = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query {
      failing: String
      failingOpaque: String
      stillHere: String
      requiredButNull: String!
      shelf: Shelf
    }
    type Shelf { label: String! note: String! }
    type Product @key(fields: "upc") {
      upc: String!
      "throws for product 2, with extensions"
      warranty: String
      "null for product 3, though non-null"
      serial: String!
    }`),
  resolvers: {
    Query: {
      failing: () => {
        throw new GraphQLError('No answer for this yet', { extensions: { code: 'NOT_FOUND', reason: 'not-ready' } });
      },
      failingOpaque: () => {
        throw new Error('connection to db-7.internal refused');
      },
      stillHere: () => 'still here',
      requiredButNull: () => null,
      shelf: () => ({ label: 'top', note: null }),
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
      warranty: ({ upc }: { upc: string }) => {
        if (upc === '2') throw new GraphQLError(`No warranty for product ${upc}`, { extensions: { code: 'NOT_FOUND', upc } });
        return `${Number(upc)} years`;
      },
      serial: ({ upc }: { upc: string }) => (upc === '3' ? null : `SN-${upc}`),
    },
  },
});

export const legacy = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { legacyBanner: String }
    type Product @key(fields: "upc") { upc: String! legacyScore: Int }`),
  resolvers: {
    Query: { legacyBanner: () => 'never seen: this subgraph is stopped before the first query' },
    Product: { legacyScore: ({ upc }: { upc: string }) => Number(upc) },
  },
});
