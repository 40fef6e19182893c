import { buildSubgraphSchema } from '@apollo/subgraph';
import { typeDefs } from './serve';

/**
 * Abstract types: `media` owns an entity interface (@key on the interface, two implementations), a
 * union mixing its own types with another subgraph's entity, and gives products' names as well
 * (@shareable); `ratings` adds fields to every Media through @interfaceObject, without knowing the
 * implementations.
 */
const MEDIA = [
  { __typename: 'Book', id: 'm1', title: 'Dune', pages: 412 },
  { __typename: 'Movie', id: 'm2', title: 'Alien', minutes: 117 },
  { __typename: 'Book', id: 'm3', title: 'Emma', pages: 474 },
];
const NAMES: Record<string, string> = { '1': 'Kettle', '2': 'Lamp', '3': 'Mug', '4': 'Rug' };

export const media = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { library: [Media!]! featured: Media search(term: String!): [SearchResult!]! }
    interface Media @key(fields: "id") { id: ID! title: String! }
    type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int }
    type Movie implements Media @key(fields: "id") { id: ID! title: String! minutes: Int }
    union SearchResult = Book | Movie | Product
    type Product @key(fields: "upc") { upc: String! name: String @shareable }`),
  resolvers: {
    Query: {
      library: () => MEDIA,
      featured: () => MEDIA[1],
      // every title or product name containing the term, media first
      search: (_: unknown, { term }: { term: string }) => [
        ...MEDIA.filter((m) => m.title.toLowerCase().includes(term.toLowerCase())),
        ...Object.entries(NAMES)
          .filter(([, name]) => name.toLowerCase().includes(term.toLowerCase()))
          .map(([upc, name]) => ({ __typename: 'Product', upc, name })),
      ],
    },
    Media: {
      __resolveReference: ({ id }: { id: string }) => MEDIA.find((m) => m.id === id) ?? null,
      __resolveType: (m: { __typename: string }) => m.__typename,
    },
    Book: { __resolveReference: ({ id }: { id: string }) => MEDIA.find((m) => m.id === id) ?? null },
    Movie: { __resolveReference: ({ id }: { id: string }) => MEDIA.find((m) => m.id === id) ?? null },
    Product: { __resolveReference: ({ upc }: { upc: string }) => (NAMES[upc] ? { upc, name: NAMES[upc] } : null) },
  },
});

const RATINGS: Record<string, number> = { m1: 5, m2: 4, m3: 3 };

export const ratings = buildSubgraphSchema({
  typeDefs: typeDefs(`
    type Query { topRated: [Media!]! }
    type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }`),
  resolvers: {
    Query: { topRated: () => Object.keys(RATINGS).sort((a, b) => RATINGS[b] - RATINGS[a]).map((id) => ({ id })) },
    Media: {
      __resolveReference: ({ id }: { id: string }) => (id in RATINGS ? { id } : null),
      rating: ({ id }: { id: string }) => RATINGS[id],
    },
  },
});
