import type { GraphQLFormattedError } from 'graphql';
import type { Executor } from './harness';

type Body = { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };

export interface ComplianceCase {
  /** What the case covers. */
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Which of the router's executors must answer: lean (its own), gateway (handed over), none (refused before execution). */
  executor: Executor;
  /** A query run right after on the same gateway (the log a mutation wrote), compared the same way. */
  then?: string;
  /** The data the federation spec calls for, asserted on both answers, not only their agreement. */
  data?: Body['data'];
  /**
   * The router's own answer where it differs from stock's as the spec allows (error messages and
   * extensions are the server's to choose); its data and error paths must still be stock's.
   */
  differs?: { why: string; router: Body & { status: number } };
  /**
   * Where the stock gateway is wrong by the federation spec and the router right: the router's answer
   * is `data`, without errors, and stock's is not (why names what the stock gateway's planner does).
   */
  stockWrong?: string;
  /** With stockWrong: the errors the router's answer carries beside `data`. */
  errors?: GraphQLFormattedError[];
}

const MASKED = 'the router shows a client only its public error codes: an error without one is an opaque INTERNAL_SERVER_ERROR (lib/errors.ts)';
const internal = (path: (string | number)[]) => ({ message: 'Internal server error', path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
const unavailable = { message: 'The legacy service is unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE', service: 'legacy' } };

export const CASES: ComplianceCase[] = [
  {
    name: 'entities: a list of products with fields from three subgraphs',
    query: '{ products { upc name inStock reviews { body } } }',
    executor: 'lean',
  },
  {
    name: 'entities: a compound key reaching into another entity (Variant @key(fields: "sku product { upc }"))',
    query: '{ products { upc variants { sku color stock product { upc name } } } }',
    executor: 'lean',
    data: { products: ['1', '2', '3', '4'].map((upc) => ({ upc, variants: ['red', 'blue'].map((color, i) => ({ sku: `${upc}-${color}`, color, stock: (5 + i) * Number(upc), product: { upc, name: ['Kettle', 'Lamp', 'Mug', 'Rug'][Number(upc) - 1] } })) })) },
  },
  {
    name: 'entities: a nested chain accounts → reviews → catalog → shipping → reviews',
    query: '{ users { name reviews { body author { username name } product { name variants { sku stock } deliveryPromise } } } }',
    executor: 'lean',
  },
  {
    name: 'entities: a key that resolves to nothing (null entity) next to one that does',
    query: '{ product(upc: "9") { name shippingEstimate } p: product(upc: "2") { name packaging } }',
    executor: 'lean',
    data: { product: null, p: { name: 'Lamp', packaging: 'crate' } },
  },
  {
    name: '@requires: a required field with an argument (price(currency: "EUR")) reaches the subgraph with it',
    query: '{ products { upc shippingEstimate } }',
    executor: 'lean',
    // 945 EUR is under the free-shipping threshold, 1050 USD is not: product 2 shows which price was sent
    data: { products: [{ upc: '1', shippingEstimate: 0 }, { upc: '2', shippingEstimate: 4 }, { upc: '3', shippingEstimate: 1 }, { upc: '4', shippingEstimate: 15 }] },
  },
  {
    name: '@requires: the client asks the required field with the same argument, and with another under an alias',
    query: '{ products { upc price(currency: "EUR") usd: price shippingEstimate } }',
    executor: 'lean',
    data: { products: [[1800, 2000, 0], [945, 1050, 4], [270, 300, 1], [810, 900, 15]].map(([price, usd, shippingEstimate], i) => ({ upc: String(i + 1), price, usd, shippingEstimate })) },
  },
  {
    name: '@requires: a nested selection required (dimensions { width height })',
    query: '{ products { upc packaging } }',
    executor: 'lean',
    data: { products: [{ upc: '1', packaging: 'crate' }, { upc: '2', packaging: 'crate' }, { upc: '3', packaging: 'box' }, { upc: '4', packaging: 'box' }] },
  },
  {
    name: '@requires: a @requires on a field that is itself @requires (deliveryPromise needs shippingEstimate)',
    query: '{ me { reviews { product { upc deliveryPromise } } } }',
    executor: 'lean',
    data: { me: { reviews: [{ product: { upc: '1', deliveryPromise: 'free, within 2 days' } }, { product: { upc: '3', deliveryPromise: '1 EUR, within 5 days' } }] } },
  },
  ...requiresCollisions(),
  {
    name: '@provides: the review gives its author\'s username itself, the name comes from accounts',
    query: '{ review(id: "r2") { author { username name } } }',
    executor: 'lean',
    data: { review: { author: { username: 'brian', name: 'Brian' } } },
  },
  {
    name: '@shareable: a product name from media (in a search) and from catalog (in a list), in one query',
    query: '{ search(term: "u") { ... on Product { upc name price } } products { name } }',
    executor: 'lean',
  },
  {
    name: 'interfaces: an entity interface with inline fragments per implementation and __typename',
    query: '{ library { __typename id title ... on Book { pages } ... on Movie { minutes } } }',
    executor: 'lean',
  },
  {
    name: 'interfaces: a named fragment on the interface with a nested inline fragment, an implementation left empty',
    query: '{ featured { ...M } library { ... on Book { title } } } fragment M on Media { __typename title ... on Movie { minutes } }',
    executor: 'lean',
  },
  {
    name: '@interfaceObject: ratings adds a field to every Media and lists Media it knows only by id',
    query: '{ library { id rating } topRated { __typename id title rating ... on Book { pages } } }',
    executor: 'gateway',
    data: {
      library: [{ id: 'm1', rating: 5 }, { id: 'm2', rating: 4 }, { id: 'm3', rating: 3 }],
      topRated: [
        { __typename: 'Book', id: 'm1', title: 'Dune', rating: 5, pages: 412 },
        { __typename: 'Movie', id: 'm2', title: 'Alien', rating: 4 },
        { __typename: 'Book', id: 'm3', title: 'Emma', rating: 3, pages: 474 },
      ],
    },
  },
  {
    name: 'unions: members of two subgraphs, an aliased __typename, fragments on the union\'s types, entity fields under a member',
    query: '{ search(term: "m") { t: __typename ... on Product { upc name inStock reviews { body } } ... on Book { title pages } } }',
    executor: 'lean',
  },
  {
    name: 'unions: an interface fragment inside a union, reaching the @interfaceObject\'s field',
    query: '{ search(term: "a") { __typename ... on Media { id title rating } ... on Product { name } } }',
    executor: 'gateway',
  },
  {
    name: 'mutations: root fields on two subgraphs run one after the other, the slow ones first, then an entity of the last',
    query:
      'mutation { resetLog a: placeOrder(note: "first", delayMs: 60) { position note } b: pay(note: "second", delayMs: 30) { position note } c: placeOrder(note: "third", upc: "2") { position product { name shippingEstimate } } }',
    then: '{ log }',
    executor: 'lean',
    data: { resetLog: true, a: { position: 1, note: 'order:first' }, b: { position: 2, note: 'payment:second' }, c: { position: 3, product: { name: 'Lamp', shippingEstimate: 4 } } },
  },
  {
    name: 'errors: a root field throws with a public code and extensions; its sibling still answers',
    query: '{ failing stillHere }',
    executor: 'lean',
    data: { failing: null, stillHere: 'still here' },
  },
  {
    name: 'errors: an entity fetch throws for one entity of a list, located at that entity',
    query: '{ products { upc warranty } }',
    executor: 'lean',
  },
  {
    name: 'errors: an entity held in several places is asked once, and its error reported at each place',
    query: '{ products { upc reviews { body product { upc warranty } } } }',
    executor: 'lean',
  },
  {
    name: 'errors: a root field throws an error without a code',
    query: '{ failingOpaque stillHere }',
    executor: 'lean',
    differs: { why: MASKED, router: { status: 200, errors: [internal(['failingOpaque'])], data: { failingOpaque: null, stillHere: 'still here' } } },
  },
  {
    name: 'null propagation: a non-null field null inside a nullable parent nulls the parent',
    query: '{ shelf { label note } stillHere }',
    executor: 'lean',
    differs: { why: MASKED, router: { status: 200, errors: [internal(['shelf', 'note'])], data: { shelf: null, stillHere: 'still here' } } },
  },
  {
    name: 'null propagation: a non-null field null inside a list of nullable items nulls that item only',
    query: '{ catalog { upc serial } }',
    executor: 'lean',
    differs: { why: MASKED, router: { status: 200, errors: [internal(['catalog', 2, 'serial'])], data: { catalog: [{ upc: '1', serial: 'SN-1' }, { upc: '2', serial: 'SN-2' }, null, { upc: '4', serial: 'SN-4' }] } } },
  },
  {
    name: 'null propagation: through a list of non-null items up to a non-null root field: data is null',
    query: '{ products { upc serial } }',
    executor: 'lean',
    differs: { why: MASKED, router: { status: 200, errors: [internal(['products', 2, 'serial'])], data: null } },
  },
  {
    name: 'null propagation: a non-null root field null: data is null',
    query: '{ requiredButNull stillHere }',
    executor: 'lean',
    differs: { why: MASKED, router: { status: 200, errors: [internal(['requiredButNull'])], data: null } },
  },
  {
    name: 'a subgraph that refuses connections: its root field null, the rest answered',
    query: '{ legacyBanner stillHere }',
    executor: 'lean',
    differs: {
      why: "stock answers with the fetch library's message, naming the subgraph's address, and INTERNAL_SERVER_ERROR; the router names the service and says SERVICE_UNAVAILABLE",
      router: { status: 200, errors: [unavailable], data: { legacyBanner: null, stillHere: 'still here' } },
    },
  },
  {
    name: 'a subgraph that refuses connections: its entity fields null in a list the other subgraphs answer',
    query: '{ products { upc name legacyScore } }',
    executor: 'lean',
    differs: {
      why: 'as above',
      router: { status: 200, errors: [unavailable], data: { products: ['Kettle', 'Lamp', 'Mug', 'Rug'].map((name, i) => ({ upc: String(i + 1), name, legacyScore: null })) } },
    },
  },
  {
    name: '@defer: refused by both as an unknown directive (neither enables incremental delivery)',
    query: '{ products { upc ... @defer { shippingEstimate } } }',
    executor: 'none',
    differs: {
      why: 'same refusal and status; the router folds GRAPHQL_VALIDATION_FAILED into BAD_USER_INPUT (its one set of client codes)',
      router: { status: 400, errors: [{ message: 'Unknown directive "@defer".', locations: [{ line: 1, column: 22 }], extensions: { code: 'BAD_USER_INPUT' } }] },
    },
  },
];

/**
 * The client's field takes the response name of a field a `@requires` needs (shippingEstimate needs
 * `price(currency: "EUR") weight`, packaging needs `dimensions { width height }`): the planner keeps
 * the client's field and drops the required one (router/execution/requires-collisions.ts).
 */
function requiresCollisions(): ComplianceCase[] {
  const DROPPED = 'the planner drops the required field that the client\'s field shares a response name with, so the subgraph computes from the wrong value';
  const estimates = [0, 4, 1, 15]; // from the euro price and the weight: what the spec calls for
  const usd = [2000, 1050, 300, 900];
  const weight = [12, 8, 2, 30];
  const products = (row: (i: number) => Record<string, unknown>) => ({ products: estimates.map((_, i) => ({ upc: String(i + 1), ...row(i) })) });
  return [
    {
      name: '@requires collision: the client asks the required field without its argument (price, in dollars)',
      query: '{ products { upc price shippingEstimate } }',
      data: products((i) => ({ price: usd[i], shippingEstimate: estimates[i] })),
    },
    {
      name: '@requires collision: the required field with another argument, from a variable, in a fragment',
      query: 'query ($c: String) { products { upc ...P shippingEstimate } } fragment P on Product { price(currency: $c) }',
      variables: { c: 'USD' },
      data: products((i) => ({ price: usd[i], shippingEstimate: estimates[i] })),
    },
    {
      name: '@requires collision: another field under the required field\'s name (price: weight)',
      query: '{ products { upc price: weight shippingEstimate } }',
      data: products((i) => ({ price: weight[i], shippingEstimate: estimates[i] })),
    },
    {
      name: '@requires collision: the required field under another required field\'s name (weight: price)',
      query: '{ products { upc weight: price shippingEstimate } }',
      data: products((i) => ({ weight: usd[i], shippingEstimate: estimates[i] })),
    },
    {
      name: '@requires collision: a leaf under the name of a required object (dimensions: weight)',
      query: '{ products { upc dimensions: weight packaging } }',
      data: products((i) => ({ dimensions: weight[i], packaging: ['crate', 'crate', 'box', 'box'][i] })),
    },
    {
      name: '@requires collision: the required object with another selection inside (dimensions { width: depth height })',
      query: '{ products { upc dimensions { width: depth height } packaging } }',
      data: products((i) => ({ dimensions: { width: [20, 15, 8, 300][i], height: [30, 60, 10, 2][i] }, packaging: ['crate', 'crate', 'box', 'box'][i] })),
    },
    {
      name: '@requires collision: the client\'s field skipped (price @skip(if: true))',
      query: '{ products { upc price @skip(if: true) shippingEstimate } }',
      data: products((i) => ({ shippingEstimate: estimates[i] })),
    },
    {
      name: '@requires collision: answered under the client\'s names where a null propagates (the gateway\'s value completion shapes it)',
      query: '{ catalog { upc price: weight serial shippingEstimate } }',
      data: { catalog: estimates.map((estimate, i) => (i === 2 ? null : { upc: String(i + 1), price: weight[i], serial: `SN-${i + 1}`, shippingEstimate: estimate })) },
      errors: [internal(['catalog', 2, 'serial'])],
    },
  ].map((c) => ({ ...c, executor: 'lean' as const, stockWrong: DROPPED }));
}
