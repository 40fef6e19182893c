import { codes } from '../../../lib/client/graphql-client';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { newListing, newSeller } from '../../../lib/testing/marketplace';

interface SearchResult {
  listings: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; title: string; price: { amount: number }; stock: number; seller: { id: string; shopName: string; reputation: { score: number; reviewCount: number } } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    facets: { categories: { value: string; count: number }[] };
  };
}

let stack: TestStack;
let shopName: string;
let sellerId: string;
beforeAll(async () => {
  // every relevance page by the tier walk, which at this size the one-pass ordering of a few matches would take over
  stack = await startTestStack({ env: { ...process.env, SEARCH_FEW_MATCHES: '0' } });
  shopName = `Quokka Goods ${Date.now()}`;
  const seller = await newSeller(stack.client, { shopName });
  sellerId = seller.sellerId!;
  const items: [string, string, number, number][] = [
    ['Quokka plush toy', 'toys-games', 1500, 3],
    ['Quokka wooden puzzle', 'toys-games', 2500, 0],
    ['Field guide to the quokka', 'books', 1200, 5],
    ['Quokka photo print', 'art-collectibles', 4000, 1],
    ['Camping stove', 'sports-outdoors', 6000, 2],
  ];
  for (const [title, category, amount, stock] of items) {
    await newListing(seller.client, { title, category, price: { amount, currency: 'USD' }, stock, description: `About ${title}` });
  }
  // A description-only match ranks below title matches.
  await newListing(seller.client, {
    title: 'Tea towel',
    description: 'Printed with a smiling quokka',
    category: 'home-garden',
    price: { amount: 900, currency: 'USD' },
  });
});
afterAll(() => stack?.stop());

const search = (variables: Record<string, unknown>) => stack.client.ok<SearchResult>('SearchListings', variables);

test('finds listings by a word of their title, title matches first, sold out last, with seller and reputation from other subgraphs', async () => {
  const { listings } = await search({ query: 'quokka' });
  expect(listings.totalCount).toBe(5);
  expect(listings.edges.slice(-2).map((e) => e.node.title)).toEqual(['Tea towel', 'Quokka wooden puzzle']);
  expect(listings.edges[0].node.seller).toEqual({ id: sellerId, shopName, reputation: { score: 3.5, reviewCount: 0 } });
});

test('filters by category, price range and stock; facets ignore the category filter', async () => {
  const { listings } = await search({ query: 'quokka', filter: { category: 'toys-games', minPrice: 1000, maxPrice: 2000 } });
  expect(listings.edges.map((e) => e.node.title)).toEqual(['Quokka plush toy']);
  expect(listings.facets.categories).toEqual([
    { value: 'books', count: 1 },
    { value: 'toys-games', count: 1 },
  ]);
  const inStock = await search({ query: 'quokka', filter: { inStock: true, category: 'toys-games' } });
  expect(inStock.listings.edges.map((e) => e.node.title)).toEqual(['Quokka plush toy']);
  const bySeller = await search({ filter: { sellerId } });
  expect(bySeller.listings.totalCount).toBe(6);
});

test('pages through every result with after, without gaps or repeats, in each sort', async () => {
  for (const sort of ['RELEVANCE', 'NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'RATING']) {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { listings }: SearchResult = await search({ query: 'quokka', sort, first: 2, after });
      expect(listings.totalCount).toBe(5);
      seen.push(...listings.edges.map((e) => e.node.id));
      if (!listings.pageInfo.hasNextPage) break;
      after = listings.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(5);
    expect(seen).toHaveLength(5);
  }
});

test('counts stay whole on an empty page, with and without text', async () => {
  const filter = { category: 'books', minPrice: 1100, maxPrice: 1300 };
  const first = await search({ filter, sort: 'PRICE_ASC' });
  expect(first.listings.edges.map((e) => e.node.title)).toEqual(['Field guide to the quokka']);
  expect(first.listings.totalCount).toBe(1);
  const beyond = await search({ filter, sort: 'PRICE_ASC', after: first.listings.pageInfo.endCursor });
  expect(beyond.listings.edges).toEqual([]);
  expect(beyond.listings.totalCount).toBe(1);
  expect(beyond.listings.facets.categories).toEqual([{ value: 'books', count: 1 }]);
  const nothing = await search({ query: 'wombat' });
  expect(nothing.listings).toMatchObject({ totalCount: 0, edges: [], facets: { categories: [] } });
});

test('sorts by price both ways', async () => {
  const asc = await search({ query: 'quokka', sort: 'PRICE_ASC' });
  const prices = asc.listings.edges.map((e) => e.node.price.amount);
  expect(prices).toEqual([...prices].sort((a, b) => a - b));
  const desc = await search({ query: 'quokka', sort: 'PRICE_DESC' });
  expect(desc.listings.edges.map((e) => e.node.price.amount)).toEqual([...prices].reverse());
});

test('bad paging input is BAD_USER_INPUT', async () => {
  expect(codes(await stack.client.op('SearchListings', { after: 'bm90IGEgY3Vyc29y' }))).toEqual(['BAD_USER_INPUT']);
  expect(codes(await stack.client.op('SearchListings', { first: -1 }))).toEqual(['BAD_USER_INPUT']);
  const newest = await search({ first: 1 });
  expect(codes(await stack.client.op('SearchListings', { sort: 'PRICE_ASC', after: newest.listings.pageInfo.endCursor }))).toEqual([
    'BAD_USER_INPUT',
  ]);
});

test('first is capped at 100', async () => {
  const { listings } = await search({ first: 1000 });
  expect(listings.edges.length).toBeLessThanOrEqual(100);
});
