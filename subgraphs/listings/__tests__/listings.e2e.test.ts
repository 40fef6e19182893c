import { codes } from '../../../lib/client/graphql-client';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { newListing, newSeller, signUp } from '../../../lib/testing/marketplace';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const listingCount = async () => Number((await stack.subgraphs.listings.db.query('SELECT count(*) AS n FROM listings'))[0].n);

interface ListingResult {
  id: string;
  title: string;
  status: string;
  stock: number;
  price: { amount: number; currency: string; formatted: string };
  category: { slug: string; name: string };
  seller: { id: string };
}

describe('creating and managing listings', () => {
  test('a seller creates a DRAFT in their currency, with the category and the seller resolved', async () => {
    const seller = await newSeller(stack.client);
    const { createListing } = await seller.client.ok<{ createListing: ListingResult }>('CreateListing', {
      input: { title: '  Brass desk lamp ', description: 'Heavy, works', price: { amount: 4599, currency: 'USD' }, category: 'home-garden', stock: 3 },
    });
    expect(createListing).toMatchObject({
      title: 'Brass desk lamp',
      status: 'DRAFT',
      stock: 3,
      price: { amount: 4599, currency: 'USD', formatted: '$45.99' },
      category: { slug: 'home-garden' },
      seller: { id: seller.sellerId },
    });
  });

  test.each([
    ['an empty title', { title: '   ' }, 'title'],
    ['a negative price', { price: { amount: -100, currency: 'USD' } }, 'price'],
    ['a zero price', { price: { amount: 0, currency: 'USD' } }, 'price'],
    ["a currency other than the seller's", { price: { amount: 100, currency: 'EUR' } }, 'price'],
    ['a made-up currency', { price: { amount: 100, currency: 'ABC' } }, 'price'],
    ['an unknown category', { category: 'spaceships' }, 'category'],
    ['negative stock', { stock: -1 }, 'stock'],
  ])('%s is BAD_USER_INPUT and creates nothing', async (_case, override, field) => {
    const seller = await newSeller(stack.client);
    const before = await listingCount();
    const result = await seller.client.op('CreateListing', {
      input: { title: 'Lamp', description: 'A lamp', price: { amount: 100, currency: 'USD' }, category: 'home-garden', stock: 1, ...override },
    });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(String(result.errors?.[0].extensions?.field)).toContain(field);
    expect(await listingCount()).toBe(before);
  });

  test('only sellers create listings', async () => {
    const input = { title: 'Lamp', description: 'A lamp', price: { amount: 100, currency: 'USD' }, category: 'home-garden', stock: 1 };
    const buyer = await signUp(stack.client);
    expect(codes(await buyer.client.op('CreateListing', { input }))).toEqual(['FORBIDDEN']);
    expect(codes(await stack.client.op('CreateListing', { input }))).toEqual(['UNAUTHENTICATED']);
  });

  test("a seller cannot touch another seller's listing, and nothing changes", async () => {
    const owner = await newSeller(stack.client);
    const other = await newSeller(stack.client);
    const id = await newListing(owner.client, { title: 'Owned teapot', stock: 4 });
    expect(codes(await other.client.op('UpdateListing', { id, input: { title: 'Stolen', stock: 0 } }))).toEqual(['FORBIDDEN']);
    expect(codes(await other.client.op('ArchiveListing', { id }))).toEqual(['FORBIDDEN']);
    expect(codes(await other.client.op('PublishListing', { id }))).toEqual(['FORBIDDEN']);
    const { listing } = await stack.client.ok<{ listing: ListingResult }>('Listing', { id });
    expect(listing).toMatchObject({ title: 'Owned teapot', stock: 4, status: 'ACTIVE' });
  });

  test('unknown ids are NOT_FOUND', async () => {
    const seller = await newSeller(stack.client);
    expect(codes(await seller.client.op('PublishListing', { id: '6f1c1f44-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(codes(await seller.client.op('ArchiveListing', { id: 'not-a-uuid' }))).toEqual(['NOT_FOUND']);
  });

  test('updates change only the given fields and follow the same rules; an archived listing is frozen', async () => {
    const seller = await newSeller(stack.client);
    const id = await newListing(seller.client, { title: 'Old title', stock: 2 });
    const { updateListing } = await seller.client.ok<{ updateListing: ListingResult }>('UpdateListing', {
      id,
      input: { title: 'New title', price: { amount: 1999, currency: 'USD' } },
    });
    expect(updateListing).toMatchObject({ title: 'New title', stock: 2, status: 'ACTIVE', price: { amount: 1999 } });
    expect(codes(await seller.client.op('UpdateListing', { id, input: { stock: -5 } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await seller.client.op('UpdateListing', { id, input: { title: '' } }))).toEqual(['BAD_USER_INPUT']);
    await seller.client.ok('ArchiveListing', { id });
    expect(codes(await seller.client.op('UpdateListing', { id, input: { stock: 9 } }))).toEqual(['CONFLICT']);
  });

  test('a listing ships unless its seller says it is DIGITAL or a SERVICE', async () => {
    const seller = await newSeller(stack.client);
    const fulfillment = async (id: string) => (await stack.client.ok<{ listing: { fulfillment: string } }>('ListingFulfillment', { id })).listing.fulfillment;
    const shipped = await newListing(seller.client, { title: 'Teapot' });
    const ebook = await newListing(seller.client, { title: 'E-book', fulfillment: 'DIGITAL' });
    expect([await fulfillment(shipped), await fulfillment(ebook)]).toEqual(['SHIPPING', 'DIGITAL']);
    await seller.client.ok('UpdateListing', { id: shipped, input: { fulfillment: 'SERVICE' } });
    await seller.client.ok('UpdateListing', { id: ebook, input: { title: 'E-book, second edition' } });
    expect([await fulfillment(shipped), await fulfillment(ebook)]).toEqual(['SERVICE', 'DIGITAL']);
    expect(codes(await seller.client.op('UpdateListing', { id: ebook, input: { fulfillment: 'TELEPORT' } }))).toEqual(['BAD_USER_INPUT']);
    expect(await fulfillment(ebook)).toBe('DIGITAL');
  });

  test('a DRAFT is visible to its seller only; publishing makes it public and searchable', async () => {
    const seller = await newSeller(stack.client);
    const stranger = await signUp(stack.client);
    const id = await newListing(seller.client, { title: 'Secret xylophone' }, false);
    const search = () => stack.client.ok<{ listings: { totalCount: number } }>('SearchListings', { query: 'xylophone' });

    expect((await stack.client.ok<{ listing: null }>('Listing', { id })).listing).toBeNull();
    expect((await stranger.client.ok<{ listing: null }>('Listing', { id })).listing).toBeNull();
    expect((await seller.client.ok<{ listing: ListingResult }>('Listing', { id })).listing.status).toBe('DRAFT');
    expect((await search()).listings.totalCount).toBe(0);

    await seller.client.ok('PublishListing', { id });
    expect((await stranger.client.ok<{ listing: ListingResult }>('Listing', { id })).listing.status).toBe('ACTIVE');
    expect((await search()).listings.totalCount).toBe(1);

    await seller.client.ok('ArchiveListing', { id });
    expect((await stranger.client.ok<{ listing: null }>('Listing', { id })).listing).toBeNull();
    expect((await search()).listings.totalCount).toBe(0);
  });

  test('MyListings shows the seller every status; others see ACTIVE ones through Seller.listings', async () => {
    const seller = await newSeller(stack.client);
    await newListing(seller.client, { title: 'Draft one' }, false);
    await newListing(seller.client, { title: 'Active one' });
    const mine = await seller.client.ok<{ me: { seller: { listings: { totalCount: number; edges: { node: { title: string; status: string } }[] } } } }>(
      'MyListings',
      { first: 10 },
    );
    expect(mine.me.seller.listings.totalCount).toBe(2);
    expect(mine.me.seller.listings.edges.map((e) => e.node.status).sort()).toEqual(['ACTIVE', 'DRAFT']);
    const publicView = await stack.client.query<{ seller: { listings: { totalCount: number } } }>(
      'query ($id: ID!) { seller(id: $id) { listings { totalCount } } }',
      { id: seller.sellerId },
    );
    expect(publicView.data?.seller.listings.totalCount).toBe(1);
  });

  test('the categories are public', async () => {
    const { categories } = await stack.client.ok<{ categories: { slug: string; name: string }[] }>('Categories');
    expect(categories.length).toBeGreaterThanOrEqual(5);
    expect(categories).toContainEqual(expect.objectContaining({ slug: 'home-garden' }));
  });
});
