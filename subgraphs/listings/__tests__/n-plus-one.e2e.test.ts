import { isBackground } from '../../../lib/background';
import type { SubgraphName } from '../../../schema/subgraphs';
import { startTestStack, type TestStack } from '../../../scripts/test-stack';
import { reindexSearch } from '../search/reindex';

/**
 * A search page that selects each listing's seller, with the shop name and reputation, must cost the
 * same number of SQL statements for 10 results as for 50, and no other subgraph's: listings serves
 * the sellers from its copies, in one statement per request.
 */
let stack: TestStack;
const statements: Record<string, number> = {};
let counting = false;

beforeAll(async () => {
  // the cache would answer the second search without SQL: this counts what a search costs uncached;
  // the periodic jobs (orders' sweep, the search counters' compaction) stay out of the count
  stack = await startTestStack({
    env: { ...process.env, SEARCH_CACHE: 'false', ORDERS_SWEEP_INTERVAL_MS: '3600000', SEARCH_COUNTER_COMPACTION_MS: '3600000' },
    onQuery: (subgraph: SubgraphName, sql: string) => {
      // the outbox relay, periodic jobs, event consumers and the email workers work in the background, whatever the request does
      if (!counting || isBackground() || /\bpgboss\b|\bprocessed_events\b|^(START TRANSACTION|COMMIT|ROLLBACK)/.test(sql)) return;
      statements[subgraph] = (statements[subgraph] ?? 0) + 1;
    },
  });
  // 60 sellers with one listing each, so that a page of 50 holds 50 different sellers.
  const sellers: { id: string; shop_name: string }[] = await stack.subgraphs.accounts.db.query(`
    WITH u AS (
      INSERT INTO users (email, password_hash, display_name)
      SELECT 'seller' || i || '@example.com', 'scrypt$1$1$1$x$y', 'Seller ' || i FROM generate_series(1, 60) i
      RETURNING id, display_name
    )
    INSERT INTO sellers (user_id, shop_name, country, currency)
    SELECT id, 'Shop of ' || display_name, 'US', 'USD' FROM u RETURNING id, shop_name`);
  // listings' copies of them, as their SellerRegistered events leave them
  await stack.subgraphs.listings.db.query(`INSERT INTO seller_profiles (seller_id, shop_name, updated_at) SELECT *, now() FROM unnest($1::uuid[], $2::text[])`, [
    sellers.map((s) => s.id),
    sellers.map((s) => s.shop_name),
  ]);
  await stack.subgraphs.listings.db.query(
    `INSERT INTO listings (seller_id, title, description, category_slug, price_amount, currency, stock, status)
     SELECT s.id, 'Lamp number ' || n, 'A lamp', 'home-garden', 1000 + n, 'USD', 5, 'ACTIVE'
     FROM unnest($1::uuid[]) WITH ORDINALITY AS s(id, n)`,
    [sellers.map((s) => s.id)],
  );
  // loaded in bulk, straight into the table of record: a rebuild makes them searchable (every word
  // common, so that the pairs of words are counted)
  await reindexSearch(stack.subgraphs.listings.db, { priorScore: 3.5, commonWords: { share: 0, atLeast: 1, atMost: 500 } });
});
afterAll(() => stack?.stop());

async function countStatements(first: number, query = 'lamp'): Promise<Record<string, number>> {
  for (const key of Object.keys(statements)) delete statements[key];
  counting = true;
  const { listings } = await stack.client.ok<{ listings: { edges: { node: { seller: { shopName: string } } }[] } }>(
    'SearchListings',
    { query, first },
  );
  counting = false;
  expect(listings.edges).toHaveLength(first);
  expect(new Set(listings.edges.map((e) => e.node.seller.shopName)).size).toBe(first);
  return { ...statements };
}

test('a page of 50 costs the same SQL statements as a page of 10, in every subgraph', async () => {
  await countStatements(10); // the query's analysis and its bound of matches are remembered after the first search
  const ten = await countStatements(10);
  const fifty = await countStatements(50);
  expect(fifty).toEqual(ten);
  expect(ten.accounts).toBeUndefined();
  expect(ten.reputation).toBeUndefined();
  // one statement: the page with its listings and their sellers, and the counts from the word's counter
  expect(ten.listings).toBe(1);
});

test('two common words: one statement too, their counts from their pair counter', async () => {
  await countStatements(10, 'lamp number');
  expect((await countStatements(10, 'lamp number')).listings).toBe(1);
});
