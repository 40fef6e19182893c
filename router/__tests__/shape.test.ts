import { buildSchema, execute, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { CannotShape, shaperFor } from '../execution/shape';

/** The lean executor's response shaping, held to what graphql-js itself makes of the same data. */
const schema = buildSchema(`
  interface Node { id: ID! }
  type Book implements Node { id: ID! title: String! author: String genre: Genre }
  type Film implements Node { id: ID! title: String! minutes: Int }
  union Item = Book | Film
  enum Genre { NOVEL POETRY }
  type Query { items: [Item!]! node(id: ID!): Node top: Book! }
`);

// as subgraphs answer: under the operation's response keys (aliases included), with fields the client did not ask for
const ITEMS = [
  { __typename: 'Book', id: '1', title: 'Dune', t: 'Dune', author: 'Herbert', genre: 'NOVEL', extra: 'not asked' },
  { __typename: 'Film', id: '2', title: 'Alien', t: 'Alien', minutes: 117 },
];
const DATA = { items: ITEMS, node: ITEMS[1], n: ITEMS[1], top: ITEMS[0] };

function shapes(document: string, variables: Record<string, unknown> = {}, data: Record<string, unknown> = DATA) {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(parsed.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const ours = shaperFor(schema, operation, fragments).shape(data, variables);
  // graphql-js over the same data, resolving abstract types by __typename and fields by response key
  const reference = execute({ schema, document: parsed, rootValue: data, variableValues: variables, fieldResolver: (source, _args, _ctx, info) => (source as Record<string, unknown>)[info.path.key as string] });
  return { ours, reference: (reference as { data: unknown }).data };
}

test.each([
  ['fragments on an interface and a union, aliases, __typename', `
    query { items { __typename ...on Node { id } ...on Book { t: title author } ...F } n: node(id: "2") { __typename id ...on Film { minutes } } }
    fragment F on Film { t: title minutes }`],
  ['the same field twice, merged, in the order first asked', `{ top { title id title ...on Book { genre id } } }`],
  ['@skip and @include, with a default', `query Q($withAuthor: Boolean = true, $skipId: Boolean!) { top { id @skip(if: $skipId) author @include(if: $withAuthor) } }`, { skipId: true, withAuthor: true }],
  ['and again with other values', `query Q($withAuthor: Boolean = true, $skipId: Boolean!) { top { id @skip(if: $skipId) author @include(if: $withAuthor) } }`, { skipId: false, withAuthor: false }],
])('%s', (_name, document, variables: Record<string, unknown> = {}) => {
  const { ours, reference } = shapes(document, variables);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(reference));
});

test('what graphql-js would complete with errors is not shaped: the gateway answers those', () => {
  expect(() => shapes('{ top { title } }', {}, { top: null })).toThrow(CannotShape); // null for a non-null field
  expect(() => shapes('{ top { title } }', {}, { top: { __typename: 'Book', id: '1' } })).toThrow(CannotShape); // missing
  expect(() => shapes('{ top { genre } }', {}, { top: { genre: 'SECRET' } })).toThrow(CannotShape); // an enum value the schema hides
  expect(() => shapes('{ node(id: "1") { id } }', {}, { node: { id: '1' } })).toThrow(CannotShape); // an abstract value without its type
});
