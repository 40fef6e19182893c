import { isDeepStrictEqual } from 'node:util';
import { GraphQLClient } from '../../lib/client/graphql-client';
import { operation } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { startRouter, type RunningRouter } from '../server';

/**
 * The router's own executor answers exactly as @apollo/gateway's: the same queries, variables and
 * viewers through two routers on the same subgraphs, one on each executor, give deep-equal answers,
 * errors included; and the lean one really answered most of them itself.
 */
let stack: TestStack;
let gatewayRouter: RunningRouter;
let seller: TestUser;
let buyer: TestUser;
let otherBuyer: TestUser;
let listingId: string;
let orderId: string;
beforeAll(async () => {
  stack = await startTestStack();
  gatewayRouter = await startRouter({ ...stack.routerConfig, port: 0, executor: 'gateway' }, createLogger({}, { level: 'silent' }));
  seller = await newSeller(stack.client, { shopName: 'Two Executors' });
  listingId = await newListing(seller.client, { title: 'Copper teapot', category: 'home-garden', stock: 4 });
  await newListing(seller.client, { title: 'Copper kettle', category: 'home-garden', stock: 0 });
  await newListing(seller.client, { title: 'Garden teapot stand', category: 'home-garden', stock: 2 });
  buyer = await signUp(stack.client, 'Ada');
  otherBuyer = await signUp(stack.client, 'Bob');
  const purchase = await checkOut(buyer, [listingId]);
  await payByTestCard(buyer, purchase.paymentId);
  orderId = purchase.orders[0].id;
  await eventually(async () => {
    const { order } = await buyer.client.ok<{ order: { status: string } }>('Order', { id: orderId });
    expect(order.status).toBe('PAID');
  });
});
afterAll(async () => {
  await gatewayRouter?.stop();
  await stack?.stop();
});

const SHAPES = `
query Shapes($q: String, $withSeller: Boolean = true, $skipStock: Boolean!) {
  __typename
  first: listings(query: $q, first: 2) { ...Page }
  again: listings(query: $q, first: 3, sort: PRICE_ASC) {
    totalCount
    edges { node { __typename id t: title stock @skip(if: $skipStock) seller @include(if: $withSeller) { __typename id shopName reputation { score reviewCount } } } }
  }
  categories { slug ... on Category { name } }
}
fragment Page on ListingSearchConnection { totalCount totalCountIsExact edges { cursor node { ...Bits } } pageInfo { hasNextPage } }
fragment Bits on Listing { id title price { amount currency formatted } seller { ...Shop } }
fragment Shop on Seller { shopName }
`;

async function bothAnswer(who: TestUser | undefined, query: string, variables: Record<string, unknown> = {}) {
  const token = who?.client.token;
  const [lean, stock] = await Promise.all([
    new GraphQLClient(stack.routerUrl, token).query(query, variables),
    new GraphQLClient(gatewayRouter.url, token).query(query, variables),
  ]);
  return { lean, stock };
}

async function executions(): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', stack.routerUrl))).text();
  return Object.fromEntries([...text.matchAll(/^router_executions_total\{executor="(\w+)"[^}]*\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}

test('every query of the contract, and shapes beyond it, get the same answer from both executors', async () => {
  const before = await executions();
  // the ones expected to fail are marked: the others must come back whole, so that a case cannot pass by failing alike
  const failing = new Set([3, 5, 11, 18]);
  const cases: [TestUser | undefined, string, Record<string, unknown>][] = [
    [undefined, operation('Categories'), {}],
    [undefined, operation('SearchListings'), { query: 'teapot', first: 5 }],
    [undefined, operation('SearchListings'), { filter: { category: 'home-garden' }, sort: 'PRICE_ASC', first: 2 }],
    [undefined, operation('SearchListings'), { first: 1, after: 'not-a-cursor' }],
    [undefined, operation('Listing'), { id: listingId }],
    [undefined, operation('Listing'), { id: '00000000-0000-4000-8000-000000000000' }],
    [undefined, operation('Me'), {}],
    [buyer, operation('Me'), {}],
    [seller, operation('Me'), {}],
    [buyer, operation('MyOrders'), { first: 5 }],
    [buyer, operation('Order'), { id: orderId }],
    [otherBuyer, operation('Order'), { id: orderId }],
    [seller, operation('SellerOrders'), { first: 5 }],
    [seller, operation('SellerBalance'), {}],
    [undefined, operation('SellerReputation'), { sellerId: seller.sellerId }],
    [seller, operation('MyListings'), { first: 10 }],
    [undefined, SHAPES, { q: 'teapot', skipStock: false }],
    [undefined, SHAPES, { q: 'copper', skipStock: true, withSeller: false }],
    [undefined, SHAPES, { skipStock: 'not a boolean' }],
    [undefined, '{ __schema { queryType { name } } categories { slug } }', {}],
  ];
  for (const [i, [who, query, variables]] of cases.entries()) {
    const { lean, stock } = await bothAnswer(who, query, variables);
    if (!failing.has(i) && (lean.errors || lean.status !== 200)) throw new Error(`case ${i} failed: ${JSON.stringify(lean.errors)}`);
    if (!isDeepStrictEqual(lean, stock)) throw new Error(`answers differ for ${query.slice(0, 60)} ${JSON.stringify(variables)}:\n${JSON.stringify(lean)}\n${JSON.stringify(stock)}`);
  }
  const after = await executions();
  // the lean executor answered all but introspection itself, errors and bad variables included
  expect((after.lean ?? 0) - (before.lean ?? 0)).toBe(cases.length - 1);
  expect((after.gateway ?? 0) - (before.gateway ?? 0)).toBe(1);
});

test('mutations run on the lean executor, once, and fail as on the gateway', async () => {
  const before = await executions();
  await seller.client.op('PublishListing', { id: listingId });
  const after = await executions();
  expect((after.lean ?? 0) - (before.lean ?? 0)).toBe(1);
  expect(after.gateway ?? 0).toBe(before.gateway ?? 0);
  // refused by the subgraph: the same answer from both executors (nothing changes, so both may run it)
  const refused = operation('PublishListing');
  const { lean, stock } = await bothAnswer(otherBuyer, refused, { id: listingId });
  expect(lean.errors?.length).toBeGreaterThan(0);
  expect(lean).toEqual(stock);
});

async function sharedReads(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', stack.routerUrl))).text();
  return [...text.matchAll(/^router_shared_subgraph_reads_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

test('identical reads in flight share one subgraph request, never across viewers', async () => {
  const before = await sharedReads();
  const ME = 'query Who { me { id displayName orders: __typename } }';
  // a crowd of the same question from two viewers at once: each gets its own answer, whoever asked first
  const crowd = [...Array(20).keys()].flatMap(() => [buyer, otherBuyer].map(async (who) => ({ who, answer: await who.client.query(ME, {}) })));
  for (const { who, answer } of await Promise.all(crowd)) {
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ me: { id: who.userId, displayName: who === buyer ? 'Ada' : 'Bob', orders: 'User' } });
  }
  // anonymous searches alike: one answer for all, the same as the gateway's
  const searches = await Promise.all([...Array(20).keys()].map(() => new GraphQLClient(stack.routerUrl).query(SHAPES, { q: 'teapot', skipStock: false })));
  const { stock } = await bothAnswer(undefined, SHAPES, { q: 'teapot', skipStock: false });
  for (const answer of searches) expect(answer).toEqual(stock);
  expect(await sharedReads()).toBeGreaterThan(before);
});
