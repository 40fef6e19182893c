import { recordEvent } from '../../../lib/events/outbox';
import { isUuid } from '../../../lib/ids';
import { eventually } from '../../../lib/testing/eventually';
import { newListing, newSeller } from '../../../lib/testing/marketplace';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';

/**
 * Listings serves a listing's seller (shop name and reputation) from its own copies, so that search
 * needs no other subgraph: the copies follow accounts' events, and fill themselves from accounts for
 * a seller whose event they have not seen.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** Ids inlined (checked): reads then go over the simple protocol, as the other listings tests do. */
async function copiedShopName(sellerId: string): Promise<string | undefined> {
  if (!isUuid(sellerId)) throw new Error('not a UUID');
  const rows: { shop_name: string }[] = await stack.subgraphs.listings.db.query(`SELECT shop_name FROM seller_profiles WHERE seller_id = '${sellerId}'`);
  return rows[0]?.shop_name;
}

async function shopNameFound(title: string): Promise<string> {
  const { listings } = await stack.client.ok<{ listings: { edges: { node: { title: string; seller: { shopName: string } } }[] } }>(
    'SearchListings',
    { query: title },
  );
  const found = listings.edges.find((edge) => edge.node.title === title);
  if (!found) throw new Error(`no listing titled ${title}`);
  return found.node.seller.shopName;
}

test("becoming a seller reaches listings' copy through the SellerRegistered event", async () => {
  const seller = await newSeller(stack.client, { shopName: 'Copied Clocks' });
  await eventually(async () => expect(await copiedShopName(seller.sellerId!)).toBe('Copied Clocks'));
  await newListing(seller.client, { title: 'Copied mantel clock' });
  expect(await shopNameFound('Copied mantel clock')).toBe('Copied Clocks');
});

test('a seller listings has no copy of is asked of accounts once, and the copy kept', async () => {
  const seller = await newSeller(stack.client, { shopName: 'Forgotten Frames' });
  await eventually(async () => expect(await copiedShopName(seller.sellerId!)).toBe('Forgotten Frames'));
  await stack.subgraphs.listings.db.query(`DELETE FROM seller_profiles WHERE seller_id = $1`, [seller.sellerId!]);
  await newListing(seller.client, { title: 'Forgotten oak frame' });

  expect(await shopNameFound('Forgotten oak frame')).toBe('Forgotten Frames');
  expect(await copiedShopName(seller.sellerId!)).toBe('Forgotten Frames');
});

test('an event older than the copy changes nothing; a newer one replaces it, in search results too', async () => {
  const seller = await newSeller(stack.client, { shopName: 'Ordered Owls' });
  await eventually(async () => expect(await copiedShopName(seller.sellerId!)).toBe('Ordered Owls'));
  await newListing(seller.client, { title: 'Ordered owl figurine' });
  expect(await shopNameFound('Ordered owl figurine')).toBe('Ordered Owls'); // and cached
  const publish = async (shopName: string, at: string) => {
    const event = await stack.subgraphs.accounts.db.transaction((manager) =>
      recordEvent(manager, 'accounts', 'SellerRegistered', { sellerId: seller.sellerId!, shopName, at }),
    );
    stack.subgraphs.accounts.outbox.wake();
    await eventually(async () => expect(await handledByListings(event.id)).toBe(true));
  };

  await publish('Stale Owls', '2000-01-01T00:00:00.000Z');
  expect(await copiedShopName(seller.sellerId!)).toBe('Ordered Owls');
  expect(await shopNameFound('Ordered owl figurine')).toBe('Ordered Owls');
  await publish('Renamed Owls', new Date(Date.now() + 60_000).toISOString());
  expect(await copiedShopName(seller.sellerId!)).toBe('Renamed Owls');
  // the cached one is forgotten just after the copy commits
  await eventually(async () => expect(await shopNameFound('Ordered owl figurine')).toBe('Renamed Owls'));
});

async function handledByListings(eventId: string): Promise<boolean> {
  const rows: unknown[] = await stack.subgraphs.listings.db.query(`SELECT 1 FROM processed_events WHERE consumer = 'listings' AND event_id = $1`, [eventId]);
  return rows.length > 0;
}
