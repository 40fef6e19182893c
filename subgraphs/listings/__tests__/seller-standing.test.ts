import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dropDatabase, openDatabase } from '../../../lib/db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../lib/db/embedded';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { InProcessBus } from '../../../lib/events/in-process-bus';
import { EventTables1732000000100 } from '../../../lib/events/migration';
import { isUuid } from '../../../lib/ids';
import { createLogger } from '../../../lib/logger';
import { onListingsEvent } from '../events';
import { reindexSearch } from '../search/reindex';
import { SearchProjection } from '../search/projection';
import { ListingSearch } from '../search/search';
import { applySellerStanding } from '../seller-standing';
import { listings } from '../subgraph';

/**
 * How listings keeps a seller's standing (SellerStatusChanged from accounts): once per event, the
 * newest by its time whatever the delivery order, the seller's search documents deleted while
 * suspended and back (with current data) once reinstated, and a search rebuild that leaves them out.
 * On listings' own tables, on a database of the test's own (DATABASE_URL's server, else PGlite).
 */
let db: DataSource;
let embedded: EmbeddedPostgres | undefined;
let databaseUrl: string | undefined;
const projection = new SearchProjection(3.5);
beforeAll(async () => {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    databaseUrl = url.toString();
  } else {
    embedded = await startEmbeddedPostgres();
  }
  db = await openDatabase({
    url: databaseUrl ?? embedded!.url,
    entities: listings.entities,
    migrations: [EventTables1732000000100, ...listings.migrations],
    poolSize: 4,
  });
});
afterAll(async () => {
  await db?.destroy();
  await embedded?.stop();
  if (databaseUrl) await dropDatabase(databaseUrl);
});

const standing = (sellerId: string, status: 'ACTIVE' | 'SUSPENDED', at: string): MarketplaceEvent<'SellerStatusChanged'> => ({
  id: randomUUID(),
  type: 'SellerStatusChanged',
  source: 'accounts',
  occurredAt: new Date().toISOString(),
  payload: { sellerId, userId: randomUUID(), status, reason: status === 'SUSPENDED' ? 'Test' : null, by: randomUUID(), at },
});

/** A seller with two ACTIVE listings holding `word`, projected into search. */
async function sellerWithListings(word: string): Promise<{ sellerId: string; ids: string[] }> {
  const sellerId = randomUUID();
  const ids: string[] = [];
  for (const title of [`Lamp ${word}`, `Vase ${word}`]) {
    const [{ id }]: { id: string }[] = await db.query(
      `INSERT INTO listings (seller_id, title, description, category_slug, price_amount, currency, stock, status, fulfillment)
       VALUES ($1, $2, 'A thing', 'home-garden', 1000, 'USD', 1, 'ACTIVE', 'SHIPPING') RETURNING id`,
      [sellerId, title],
    );
    ids.push(id);
  }
  await db.transaction((manager) => projection.listings(manager, ids));
  return { sellerId, ids };
}

/** Ids inlined (checked), so that reads go over the simple protocol. */
async function documentsOf(sellerId: string): Promise<number> {
  if (!isUuid(sellerId)) throw new Error('not a UUID');
  return Number((await db.query(`SELECT count(*) AS n FROM search.documents WHERE seller_id = '${sellerId}'`))[0].n);
}
const found = async (word: string) =>
  (await new ListingSearch(db, { priorScore: 3.5, exactCountLimit: 10_000, fewMatches: 500 }).search({ query: word })).edges.length;

test('suspended: the documents go; a redelivery does nothing; reinstated: back with the listings’ current data', async () => {
  const word = `zs${randomBytes(4).toString('hex')}`;
  const { sellerId, ids } = await sellerWithListings(word);
  expect(await found(word)).toBe(2);

  const suspended = standing(sellerId, 'SUSPENDED', '2030-01-01T10:00:00.000001Z');
  const first = await applySellerStanding(db, projection, suspended);
  expect(first.handled).toBe(true);
  expect(first.change?.listingIds.sort()).toEqual([...ids].sort());
  expect(first.change?.lexemes).toEqual(expect.arrayContaining([word]));
  expect(await documentsOf(sellerId)).toBe(0);
  expect(await found(word)).toBe(0);
  expect(await applySellerStanding(db, projection, suspended)).toEqual({ handled: false });

  // an edit while suspended changes the listing, not search
  await db.query(`UPDATE listings SET price_amount = 777 WHERE id = $1`, [ids[0]]);
  await db.transaction((manager) => projection.listings(manager, [ids[0]]));
  expect(await documentsOf(sellerId)).toBe(0);

  const reinstated = await applySellerStanding(db, projection, standing(sellerId, 'ACTIVE', '2030-01-01T10:00:01.000000Z'));
  expect(reinstated.handled).toBe(true);
  expect(await documentsOf(sellerId)).toBe(2);
  const [{ price_amount }] = await db.query(`SELECT price_amount FROM search.documents WHERE listing_id = '${ids[0]}'`);
  expect(price_amount).toBe(777);
});

test('through the bus, the newest standing wins whatever order the events arrive in', async () => {
  const word = `zo${randomBytes(4).toString('hex')}`;
  const { sellerId } = await sellerWithListings(word);
  const bus = new InProcessBus(createLogger(), [10, 50]);
  const stop = await bus.subscribe('listings', (event) => onListingsEvent(db, { projection }, event));
  const suspended = standing(sellerId, 'SUSPENDED', '2030-01-01T10:00:02.000000Z');
  const olderReinstatement = standing(sellerId, 'ACTIVE', '2030-01-01T10:00:01.000000Z');
  const oldestSuspension = standing(sellerId, 'SUSPENDED', '2030-01-01T10:00:00.000000Z');
  // the newest (a suspension) arrives first and twice; the older ones after it change nothing
  await bus.publish([suspended, olderReinstatement, suspended, oldestSuspension]);
  await bus.settled();
  expect(await documentsOf(sellerId)).toBe(0);
  const [row] = await db.query(`SELECT status FROM seller_standing WHERE seller_id = '${sellerId}'`);
  expect(row.status).toBe('SUSPENDED');
  await bus.publish([standing(sellerId, 'ACTIVE', '2030-01-01T10:00:03.000000Z')]);
  await bus.settled();
  expect(await documentsOf(sellerId)).toBe(2);
  await stop();
  await bus.close();
});

test('malformed events are ignored and not remembered', async () => {
  const seller = randomUUID();
  for (const event of [standing('not-a-seller', 'SUSPENDED', '2030-01-01T00:00:00Z'), standing(seller, 'SUSPENDED', 'yesterday')]) {
    expect(await applySellerStanding(db, projection, event)).toEqual({ handled: false });
  }
  expect(await db.query(`SELECT 1 FROM seller_standing WHERE seller_id = '${seller}'`)).toEqual([]);
});

test('a search rebuild leaves a suspended seller’s listings out', async () => {
  const word = `zr${randomBytes(4).toString('hex')}`;
  const kept = await sellerWithListings(word);
  const { sellerId } = await sellerWithListings(word);
  await applySellerStanding(db, projection, standing(sellerId, 'SUSPENDED', '2030-01-01T00:00:00.000000Z'));
  await reindexSearch(db, { priorScore: 3.5 });
  expect(await documentsOf(sellerId)).toBe(0);
  expect(await documentsOf(kept.sellerId)).toBe(2);
  expect(await found(word)).toBe(2);
});
