import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dropDatabase, openDatabase } from '../../../lib/db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../lib/db/embedded';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { InProcessBus } from '../../../lib/events/in-process-bus';
import { EventTables1732000000100 } from '../../../lib/events/migration';
import type { EventEnvelope } from '../../../lib/events/types';
import { isUuid } from '../../../lib/ids';
import { createLogger } from '../../../lib/logger';
import { eventually } from '../../../lib/testing/eventually';
import { onListingsEvent } from '../events';
import { handleReputationEvent } from '../reputation-consumer';
import { SearchProjection } from '../search/projection';
import { ListingSearch } from '../search/search';
import { listings } from '../subgraph';

/** listings' own tables and migrations, on a database of the test's own (DATABASE_URL's server, else PGlite). */
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

const changed = (sellerId: string, score: number, reviewCount: number, at: string): MarketplaceEvent<'SellerReputationChanged'> => ({
  id: randomUUID(),
  type: 'SellerReputationChanged',
  source: 'reputation',
  occurredAt: new Date().toISOString(),
  payload: { sellerId, score, reviewCount, at },
});

/** Ids inlined (checked), so that reads go over the simple protocol (see reputation's test harness). */
async function row(sellerId: string) {
  if (!isUuid(sellerId)) throw new Error('not a UUID');
  const [found] = await db.query(
    `SELECT score, review_count, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
     FROM seller_reputation WHERE seller_id = '${sellerId}'`,
  );
  return found as { score: number; review_count: number; at: string } | undefined;
}

async function processed(eventId: string): Promise<number> {
  if (!isUuid(eventId)) throw new Error('not a UUID');
  return Number((await db.query(`SELECT count(*) AS n FROM processed_events WHERE consumer = 'listings' AND event_id = '${eventId}'`))[0].n);
}

test('the first event of a seller inserts its score, count and time', async () => {
  const seller = randomUUID();
  expect(await handleReputationEvent(db, projection, changed(seller, 3.64, 1, '2030-01-01T10:00:00.000001Z'))).toBe(true);
  expect(await row(seller)).toEqual({ score: 3.64, review_count: 1, at: '2030-01-01T10:00:00.000001Z' });
});

test('a newer event replaces the row; an older one, even a microsecond older, changes nothing', async () => {
  const seller = randomUUID();
  await handleReputationEvent(db, projection, changed(seller, 3.64, 1, '2030-01-01T10:00:00.000002Z'));
  expect(await handleReputationEvent(db, projection, changed(seller, 3.73, 2, '2030-01-01T10:00:01.000000Z'))).toBe(true);
  expect(await handleReputationEvent(db, projection, changed(seller, 3.64, 1, '2030-01-01T10:00:00.999999Z'))).toBe(false);
  expect(await handleReputationEvent(db, projection, changed(seller, 3.5, 0, '2030-01-01T10:00:01.000000Z'))).toBe(false);
  expect(await row(seller)).toEqual({ score: 3.73, review_count: 2, at: '2030-01-01T10:00:01.000000Z' });
});

test('a redelivered event is processed once', async () => {
  const seller = randomUUID();
  const event = changed(seller, 3.64, 1, '2030-01-01T10:00:00.000000Z');
  expect(await handleReputationEvent(db, projection, event)).toBe(true);
  expect(await handleReputationEvent(db, projection, event)).toBe(false);
  expect(await processed(event.id)).toBe(1);
});

test('through the bus, the newest event wins whatever order they arrive in', async () => {
  const bus = new InProcessBus(createLogger(), [10, 50]);
  const stop = await bus.subscribe('listings', (event) => onListingsEvent(db, { projection }, event));
  const seller = randomUUID();
  const events = [1, 2, 3, 4, 5].map((n) => changed(seller, 3.5 + n / 10, n, `2030-01-01T10:00:0${n}.000000Z`));
  await bus.publish([events[3], events[4], events[0], events[2], events[1], events[4]]);
  await bus.settled();
  await eventually(async () => expect(await row(seller)).toEqual({ score: 4, review_count: 5, at: '2030-01-01T10:00:05.000000Z' }));
  for (const event of events) expect(await processed(event.id)).toBe(1);
  await stop();
  await bus.publish([changed(seller, 1, 99, '2031-01-01T00:00:00.000000Z')]);
  await bus.settled();
  expect((await row(seller))?.review_count).toBe(5);
  await bus.close();
});

test('other events and malformed ones are ignored, and not remembered', async () => {
  const seller = randomUUID();
  const foreign: EventEnvelope = { id: randomUUID(), type: 'OrderStatusChanged', source: 'orders', occurredAt: new Date().toISOString(), payload: {} };
  const malformed = [
    changed('not-a-seller', 4, 1, '2030-01-01T00:00:00Z'),
    changed(seller, Number.NaN, 1, '2030-01-01T00:00:00Z'),
    changed(seller, 7, 1, '2030-01-01T00:00:00Z'),
    changed(seller, 4, -1, '2030-01-01T00:00:00Z'),
    changed(seller, 4, 1, 'yesterday'),
  ];
  for (const event of [foreign, ...malformed]) {
    expect(await handleReputationEvent(db, projection, event)).toBe(false);
    expect(await processed(event.id)).toBe(0);
  }
  expect(await row(seller)).toBeUndefined();
});

test('search sorts by the stored score (RATING); a seller nobody reviewed stands at the prior', async () => {
  const [low, high, unreviewed] = [randomUUID(), randomUUID(), randomUUID()];
  const word = `zq${randomBytes(4).toString('hex')}`;
  const ids: string[] = [];
  for (const sellerId of [low, high, unreviewed]) {
    const [{ id }]: { id: string }[] = await db.query(
      `INSERT INTO listings (seller_id, title, description, category_slug, price_amount, currency, stock, status)
       VALUES ('${sellerId}', 'Teapot ${word}', 'A teapot', 'home-garden', 1000, 'USD', 1, 'ACTIVE') RETURNING id`,
    );
    ids.push(id);
  }
  await db.transaction((manager) => projection.listings(manager, ids));
  await handleReputationEvent(db, projection, changed(low, 3.2, 4, '2030-01-01T00:00:00.000000Z'));
  await handleReputationEvent(db, projection, changed(high, 4.6, 40, '2030-01-01T00:00:00.000000Z'));
  const result = await new ListingSearch(db, { priorScore: 3.5, exactCountLimit: 10_000, fewMatches: 500 }).search({ query: word, sort: 'RATING' });
  expect(result.edges.map((e) => e.node.sellerId)).toEqual([high, unreviewed, low]);
});
