import { buildSubgraphSchema } from '@apollo/subgraph';
import { typeDefs } from './serve';

/**
 * `accounts` owns users; `reviews` adds reviews to users and products, @provides the author's
 * username itself, and chains a second @requires on `shipping`'s (itself @requires) estimate.
 */
const USERS = [
  { id: 'u1', name: 'Ada', username: 'ada' },
  { id: 'u2', name: 'Brian', username: 'brian' },
  { id: 'u3', name: 'Chen', username: 'chen' },
];
const REVIEWS = [
  { id: 'r1', body: 'Boils fast', authorId: 'u1', upc: '1' },
  { id: 'r2', body: 'Too bright', authorId: 'u2', upc: '2' },
  { id: 'r3', body: 'Holds coffee', authorId: 'u1', upc: '3' },
  { id: 'r4', body: 'Soft', authorId: 'u3', upc: '4' },
  { id: 'r5', body: 'Second kettle', authorId: 'u2', upc: '1' },
  { id: 'r6', body: 'Flickers', authorId: 'u3', upc: '2' },
];
type Review = (typeof REVIEWS)[number];

export const accounts = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { me: User users: [User!]! }
    type User @key(fields: "id") { id: ID! name: String! username: String @shareable }`),
  resolvers: {
    Query: { me: () => USERS[0], users: () => USERS },
    User: { __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) ?? null },
  },
});

export const reviews = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { review(id: ID!): Review }
    type Review @key(fields: "id") { id: ID! body: String! author: User @provides(fields: "username") product: Product! }
    type User @key(fields: "id") { id: ID! username: String @external reviews: [Review!]! }
    type Product @key(fields: "upc") {
      upc: String!
      reviews: [Review!]!
      shippingEstimate: Int @external
      "needs shipping's estimate, which itself needs catalog's price and weight"
      deliveryPromise: String @requires(fields: "shippingEstimate")
    }`),
  resolvers: {
    Query: { review: (_: unknown, { id }: { id: string }) => REVIEWS.find((r) => r.id === id) ?? null },
    Review: {
      __resolveReference: ({ id }: { id: string }) => REVIEWS.find((r) => r.id === id) ?? null,
      author: (review: Review) => ({ id: review.authorId, username: USERS.find((u) => u.id === review.authorId)?.username }),
      product: (review: Review) => ({ upc: review.upc }),
    },
    User: { reviews: (user: { id: string }) => REVIEWS.filter((r) => r.authorId === user.id) },
    Product: {
      reviews: (product: { upc: string }) => REVIEWS.filter((r) => r.upc === product.upc),
      deliveryPromise: ({ shippingEstimate }: { shippingEstimate?: number | null }) =>
        shippingEstimate === undefined ? null : shippingEstimate === 0 ? 'free, within 2 days' : `${shippingEstimate} EUR, within 5 days`,
    },
  },
});
