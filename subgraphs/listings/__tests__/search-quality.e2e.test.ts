import { randomUUID } from 'node:crypto';
import type { Viewer } from '../../../lib/auth/viewer';
import type { MarketplaceEvent } from '../../../lib/events/catalog';
import { startLoneSubgraph, type LoneSubgraph } from '../../../lib/testing/lone-subgraph';
import { SearchProjection } from '../search/projection';
import { admitCommonWords } from '../search/pair-counts';
import { SEARCH_SCHEMA, compactCounters } from '../search/read-model';
import { reindexSearch } from '../search/reindex';
import { ListingSearch } from '../search/search';
import { listings } from '../subgraph';

/**
 * What search promises beyond finding things: relevance as a test set of queries with expected
 * orderings, counts that are exact up to a bound and honest above it, freshness after every kind of
 * change, and a rebuild that keeps answering. On PostgreSQL and on the embedded default alike.
 * SEARCH_EXACT_COUNT_LIMIT is lowered to 5 here, so that the bound is reached with a handful of rows.
 */
let lone: LoneSubgraph;
beforeAll(async () => {
  lone = await startLoneSubgraph(listings, { env: { ...process.env, SEARCH_EXACT_COUNT_LIMIT: '5' } });
});
afterAll(() => lone?.stop());

const sellerViewer = (): Viewer => {
  const id = randomUUID();
  return { userId: randomUUID(), roles: ['seller'], scopes: ['seller'], seller: { id, currency: 'USD' } };
};

const SEARCH = `query ($query: String, $filter: ListingFilter, $sort: ListingSort, $first: Int, $after: String) {
  listings(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount totalCountIsExact
    edges { cursor node { id title } }
    pageInfo { hasNextPage endCursor }
    facets { categories { value count } }
  }
}`;

interface Found {
  totalCount: number;
  totalCountIsExact: boolean;
  edges: { cursor: string; node: { id: string; title: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  facets: { categories: { value: string; count: number }[] };
}

async function search(variables: Record<string, unknown>): Promise<Found> {
  const result = await lone.call<{ listings: Found }>(null, SEARCH, variables);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.listings;
}
const titles = async (variables: Record<string, unknown>) => (await search(variables)).edges.map((e) => e.node.title);

interface Draft {
  title: string;
  description?: string;
  category?: string;
  amount?: number;
  stock?: number;
}

async function create(viewer: Viewer, draft: Draft, publish = true): Promise<string> {
  const created = await lone.call<{ createListing: { id: string } }>(
    viewer,
    `mutation ($input: CreateListingInput!) { createListing(input: $input) { id } }`,
    {
      input: {
        title: draft.title,
        description: draft.description ?? 'Nothing more to say.',
        price: { amount: draft.amount ?? 1000, currency: 'USD' },
        category: draft.category ?? 'home-garden',
        stock: draft.stock ?? 5,
      },
    },
  );
  const id = created.data!.createListing.id;
  if (publish) await lone.call(viewer, `mutation ($id: ID!) { publishListing(id: $id) { id } }`, { id });
  return id;
}

async function reputationOf(sellerId: string, score: number): Promise<void> {
  const event: MarketplaceEvent<'SellerReputationChanged'> = {
    id: randomUUID(),
    type: 'SellerReputationChanged',
    source: 'reputation',
    occurredAt: new Date().toISOString(),
    payload: { sellerId, score, reviewCount: 12, at: new Date().toISOString() },
  };
  await lone.bus.publish([event]);
  await lone.bus.settled();
}

describe('relevance', () => {
  const shop = sellerViewer();
  const wellReviewed = sellerViewer();
  const poorlyReviewed = sellerViewer();
  beforeAll(async () => {
    await create(shop, { title: 'Walnut gramophone', description: 'Plays records.' });
    await create(shop, { title: 'Record cabinet', description: 'Fits a walnut gramophone and its records.' });
    await create(shop, { title: 'Gramophone needle tin', description: 'Spare needles, walnut finish.' });
    await create(shop, { title: 'Cabinet of curiosities', description: 'Nothing to play.' });
    // stemming: the plural in the listing, the singular in the query, and back
    await create(shop, { title: 'Brass lamps, a pair', description: 'Two of them.' });
    await create(shop, { title: 'Reading lamp', description: 'One of it.' });
    // equal matches from sellers of different standing; and one sold out
    await create(wellReviewed, { title: 'Velvet ottoman', description: 'Deep green.' });
    await create(poorlyReviewed, { title: 'Velvet ottoman', description: 'Deep green.' });
    await create(shop, { title: 'Velvet ottoman, sold out', description: 'Deep green.', stock: 0 });
    await reputationOf(wellReviewed.seller!.id, 4.8);
    await reputationOf(poorlyReviewed.seller!.id, 1.9);
  });

  test('a title match ranks above a description-only match', async () => {
    const found = await titles({ query: 'gramophone' });
    expect(found.slice(0, 2).sort()).toEqual(['Gramophone needle tin', 'Walnut gramophone']);
    expect(found[2]).toBe('Record cabinet');
  });

  test('every word in the title ranks above words found only with the description', async () => {
    const found = await titles({ query: 'walnut gramophone' });
    expect(found[0]).toBe('Walnut gramophone');
    expect(found.slice(1).sort()).toEqual(['Gramophone needle tin', 'Record cabinet']);
    // every word must match: a listing with only one of them is not a match
    expect(await titles({ query: 'walnut curiosities' })).toEqual([]);
  });

  test('stemming: lamps finds lamp, and lamp finds lamps', async () => {
    expect((await titles({ query: 'lamps' })).sort()).toEqual(['Brass lamps, a pair', 'Reading lamp']);
    expect((await titles({ query: 'lamp' })).sort()).toEqual(['Brass lamps, a pair', 'Reading lamp']);
  });

  test("a well-reviewed seller's listing ranks above an equal match from a poorly reviewed one; sold out comes last", async () => {
    const found = await search({ query: 'velvet ottoman' });
    const sellers = found.edges.map((e) => e.node.title);
    expect(sellers).toHaveLength(3);
    expect(sellers[2]).toBe('Velvet ottoman, sold out');
    const ids = await lone.subgraph.db.query(
      `SELECT listing_id FROM search.documents WHERE seller_id = $1`,
      [wellReviewed.seller!.id],
    );
    expect(found.edges[0].node.id).toBe(ids[0].listing_id);
  });
});

describe('counts', () => {
  const shop = sellerViewer();
  const word = `zorbel${Date.now().toString(36)}`;
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      await create(shop, { title: `${word} number ${i}`, category: i < 4 ? 'books' : 'toys-games', amount: 1000 + i * 100, stock: i % 2 });
    }
  });

  test('a one-word search counts exactly from its counters, whatever the bound', async () => {
    const found = await search({ query: word, first: 2 });
    expect(found.totalCount).toBe(7);
    expect(found.totalCountIsExact).toBe(true);
    expect(found.facets.categories).toEqual([
      { value: 'books', count: 4 },
      { value: 'toys-games', count: 3 },
    ]);
    const inCategory = await search({ query: word, filter: { category: 'toys-games' } });
    expect([inCategory.totalCount, inCategory.totalCountIsExact]).toEqual([3, true]);
  });

  test('beyond the bound a counted search says it is a lower bound; below it, exact', async () => {
    const many = await search({ query: `${word} number` });
    expect([many.totalCount, many.totalCountIsExact]).toEqual([5, false]);
    const few = await search({ query: `${word} number`, filter: { inStock: true } });
    expect([few.totalCount, few.totalCountIsExact]).toEqual([3, true]);
    const priced = await search({ query: `${word} number`, filter: { minPrice: 1100, maxPrice: 1300, category: 'books' } });
    expect(priced.edges).toHaveLength(3);
    expect([priced.totalCount, priced.totalCountIsExact]).toEqual([3, true]);
    expect(priced.facets.categories).toEqual([{ value: 'books', count: 3 }]);
  });

  test('a counted search pages in one order, whether the counting pass found the page or the tier walk did', async () => {
    // 7 matches: beyond the bound, the tiers are walked; the 3 in stock: the pass read them all and ranked them
    for (const filter of [{}, { inStock: true }]) {
      const whole = await titles({ query: `${word} number`, filter, first: 10 });
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const page: Found = await search({ query: `${word} number`, filter, first: 2, after });
        paged.push(...page.edges.map((edge) => edge.node.title));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(paged).toEqual(whole);
      // in stock (the odd numbers) first
      expect(whole.slice(0, 3).sort()).toEqual([1, 3, 5].map((i) => `${word} number ${i}`));
      expect(whole).toHaveLength('inStock' in filter ? 3 : 7);
    }
  });

  test('without text, counts come from the counters: exact, with price bounds cutting buckets', async () => {
    // a seller's listings are counted (no counter per seller), so the bound applies
    const bySeller = await search({ filter: { sellerId: shop.seller!.id } });
    expect([bySeller.totalCount, bySeller.totalCountIsExact]).toEqual([5, false]);
    const all = await search({});
    const [{ n }] = await lone.subgraph.db.query(`SELECT count(*)::int AS n FROM listings WHERE status = 'ACTIVE'`);
    expect([all.totalCount, all.totalCountIsExact]).toEqual([n, true]);
    const [{ m }] = await lone.subgraph.db.query(
      `SELECT count(*)::int AS m FROM listings WHERE status = 'ACTIVE' AND price_amount BETWEEN 1050 AND 1400 AND stock > 0`,
    );
    const priced = await search({ filter: { minPrice: 1050, maxPrice: 1400, inStock: true } });
    expect([priced.totalCount, priced.totalCountIsExact]).toEqual([m, true]);
  });

  test('price bounds anywhere in their buckets, in one bucket or two, count exactly', async () => {
    for (let i = 0; i < 16; i++) {
      await create(shop, { title: `${word} priced ${i}`, category: i % 3 ? 'books' : 'toys-games', amount: 995 + i * 27, stock: i % 4 ? 3 : 0 });
    }
    const truth = async (min: number, max: number, inStock: boolean) => {
      const rows: { category: string; n: number }[] = await lone.subgraph.db.query(
        `SELECT category_slug AS category, count(*)::int AS n FROM listings
         WHERE status = 'ACTIVE' AND price_amount BETWEEN $1 AND $2 AND ($3 = false OR stock > 0) GROUP BY 1 ORDER BY 2 DESC, 1`,
        [min, max, inStock],
      );
      return rows;
    };
    for (const min of [990, 1001, 1010, 1024, 1049, 1051, 1100, 1149, 1200]) {
      for (const width of [0, 1, 20, 60, 300]) {
        for (const inStock of [false, true]) {
          const expected = await truth(min, min + width, inStock);
          const found = await search({ filter: { minPrice: min, maxPrice: min + width, inStock } });
          const context = { min, max: min + width, inStock };
          expect({ ...context, total: found.totalCount, exact: found.totalCountIsExact }).toEqual({
            ...context,
            total: expected.reduce((sum, row) => sum + row.n, 0),
            exact: true,
          });
          expect({ ...context, facets: found.facets.categories }).toEqual({ ...context, facets: expected.map((row) => ({ value: row.category, count: row.n })) });
        }
      }
    }
    // bounds out of order match nothing
    expect((await search({ filter: { minPrice: 1200, maxPrice: 1100 } })).totalCount).toBe(0);
  });

  test('browsing without a price bound counts per category exactly, through changes and compaction', async () => {
    const expected = async () => {
      const rows: { category: string; n: number; stocked: number }[] = await lone.subgraph.db.query(
        `SELECT category_slug AS category, count(*)::int AS n, (count(*) FILTER (WHERE stock > 0))::int AS stocked
         FROM listings WHERE status = 'ACTIVE' GROUP BY 1`,
      );
      return rows;
    };
    const check = async () => {
      for (const { category, n, stocked } of await expected()) {
        const all = await search({ filter: { category } });
        expect([all.totalCount, all.totalCountIsExact]).toEqual([n, true]);
        expect(all.facets.categories.find((facet) => facet.value === category)?.count).toBe(n);
        expect((await search({ filter: { category, inStock: true } })).totalCount).toBe(stocked);
      }
    };
    await check();
    // moved to another category, sold out, archived: each a delta of the counters
    const moved = await create(shop, { title: `${word} moved`, category: 'books', stock: 2 });
    await lone.call(shop, `mutation ($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { id } }`, {
      id: moved,
      input: { category: 'toys-games', stock: 0 },
    });
    const archived = await create(shop, { title: `${word} archived`, category: 'books' });
    await lone.call(shop, `mutation ($id: ID!) { archiveListing(id: $id) { id } }`, { id: archived });
    await check();
    await lone.subgraph.db.transaction((manager) => compactCounters(manager));
    await check();
  });
});

describe('two common words', () => {
  const shop = sellerViewer();
  const stamp = Date.now().toString(36);
  const [alpha, beta, gamma] = ['quorvex', 'plimbat', 'dravmont'].map((word) => `${word}${stamp}`);
  // every word in at least 3 documents is common here (in production: 1 % of them, and 1,000 at least)
  const admit = () => lone.subgraph.db.transaction((manager) => admitCommonWords(manager, SEARCH_SCHEMA, { share: 0, atLeast: 3, atMost: 500 }));
  const truth = async (query: string) => {
    const rows: { category: string; n: number }[] = await lone.subgraph.db.query(
      `SELECT category_slug AS category, count(*)::int AS n FROM listings
       WHERE status = 'ACTIVE' AND search @@ websearch_to_tsquery('english', $1) GROUP BY 1 ORDER BY 2 DESC, 1`,
      [query],
    );
    return { total: rows.reduce((sum, row) => sum + row.n, 0), exact: true, facets: rows.map((row) => ({ value: row.category, count: row.n })) };
  };
  const counted = async (query: string, filter: Record<string, unknown> = {}, first = 2) => {
    const found = await search({ query, filter, first });
    return { total: found.totalCount, exact: found.totalCountIsExact, facets: found.facets.categories };
  };
  beforeAll(async () => {
    // 7 with both words (beyond the bound of 5 that a counted search stops at), 3 with one only
    for (let i = 0; i < 7; i++) {
      await create(shop, { title: `${alpha} ${beta} ${i}`, category: i < 4 ? 'books' : 'toys-games', stock: i % 3 });
    }
    await create(shop, { title: `${alpha} alone`, description: `Without the other.` });
    await create(shop, { title: `${beta} alone` });
    await create(shop, { title: `Plain`, description: `${beta} in the description` });
  });

  // (a query's words are looked up once a minute, and its answer cached: the tests ask each state
  // of the words in a spelling of its own, the same words in the same order)
  test('before they are common, their matches are counted up to the bound', async () => {
    expect(await counted(`${alpha}, ${beta}`)).toMatchObject({ total: 5, exact: false });
  });

  test('once common, a pair counter gives exact counts at any size, through changes and compaction; pages are unchanged', async () => {
    const before = await titles({ query: `${alpha}, ${beta}`, first: 20 });
    expect(await admit()).toEqual(expect.arrayContaining([alpha, beta]));
    const check = async () => {
      for (const query of [`${alpha} ${beta}`, `${beta} ${alpha}`]) expect({ query, ...(await counted(query)) }).toEqual({ query, ...(await truth(query)) });
      const inBooks = await counted(`${alpha} ${beta}`, { category: 'books' });
      const all = await truth(`${alpha} ${beta}`);
      expect([inBooks.total, inBooks.exact]).toEqual([all.facets.find((facet) => facet.value === 'books')?.count ?? 0, true]);
    };
    await check();
    expect((await counted(`${alpha} ${beta}`)).total).toBe(7);
    expect(await titles({ query: `${alpha} ${beta}`, first: 20 })).toEqual(before);
    // a filter no counter keys by: counted up to the bound
    expect(await counted(`${alpha} ${beta}`, { inStock: true })).toMatchObject({ total: 4, exact: true });
    // a new document, one losing a word, one moving category, one archived: each a delta of the pair
    await create(shop, { title: `${alpha} and ${beta}, new`, category: 'toys-games' });
    const edited = await create(shop, { title: `${alpha} ${beta} to be edited` });
    const update = (id: string, input: Record<string, unknown>) =>
      lone.call(shop, `mutation ($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { id } }`, { id, input });
    await update(edited, { title: `${alpha} only now` });
    const moved = await create(shop, { title: `${alpha} ${beta} moving`, category: 'books' });
    await update(moved, { category: 'toys-games' });
    const archived = await create(shop, { title: `${alpha} ${beta} archived` });
    await lone.call(shop, `mutation ($id: ID!) { archiveListing(id: $id) { id } }`, { id: archived });
    await check();
    await lone.subgraph.db.transaction((manager) => compactCounters(manager));
    await check();
    expect((await counted(`${alpha} ${beta}`)).total).toBe(9);
  });

  test('a pair rare together is found in one statement that orders its matches: the page the tier walk finds', async () => {
    const db = lone.subgraph.db;
    const settings = { priorScore: 3.5, exactCountLimit: 5, fewMatches: 500 };
    // knows the pair is rare together (the snapshot read), and one that knows no pair as rare (none counts as few)
    const ordering = new ListingSearch(db, settings);
    await ordering.fewPairs.refresh();
    const walking = new ListingSearch(db, { ...settings, fewMatches: 0 });
    await walking.fewPairs.refresh();
    const query = `${alpha} ${beta}`;
    const pageOf = async (search: ListingSearch, { first = 20, after }: { first?: number; after?: string } = {}) => {
      const result = await search.search({ query, first, after }, { counts: true });
      return { ids: result.edges.map((edge) => edge.node.id), end: result.pageInfo.endCursor, counts: await result.counts() };
    };
    // both read the words once; then each page is statements of its own
    await pageOf(ordering);
    await pageOf(walking);
    const statementsOf = async (search: ListingSearch) => {
      let page: Awaited<ReturnType<typeof pageOf>> | undefined;
      const statements = await lone.statements(async () => void (page = await pageOf(search)));
      return { page: page!, statements: statements.filter((sql) => !/^(START TRANSACTION|COMMIT)/.test(sql)).length };
    };
    const [one, walked] = [await statementsOf(ordering), await statementsOf(walking)];
    expect(one.page).toEqual(walked.page);
    // a page beyond the first tier: the walk reads the titles' index, then the whole text's
    expect(one.statements).toBe(1);
    expect(walked.statements).toBe(2);
    // and pages by cursor
    const [first, firstWalked] = [await pageOf(ordering, { first: 3 }), await pageOf(walking, { first: 3 })];
    expect(first).toEqual(firstWalked);
    expect(await pageOf(ordering, { first: 3, after: first.end! })).toEqual(await pageOf(walking, { first: 3, after: firstWalked.end! }));
  });

  test('a word growing common has its pairs counted from the documents that hold it', async () => {
    for (let i = 0; i < 6; i++) await create(shop, { title: `${gamma} with ${alpha} ${i}`, category: i % 2 ? 'books' : 'electronics' });
    expect(await admit()).toContain(gamma);
    expect(await counted(`${alpha} ${gamma}`)).toEqual(await truth(`${alpha} ${gamma}`));
    expect((await counted(`${gamma} ${alpha}`)).total).toBe(6);
  });

  test('a pair no longer counted (the set chosen afresh) is counted up to the bound, never read as no matches', async () => {
    await lone.subgraph.db.query(`DELETE FROM ${SEARCH_SCHEMA}.common_words WHERE lexeme = $1`, [gamma]);
    // the subgraph still remembers the pair as common (a page of another size is not cached yet): the
    // counter's own answer says otherwise
    expect(await counted(`${alpha} ${gamma}`, {}, 3)).toMatchObject({ total: 5, exact: false });
  });
});

describe('freshness', () => {
  const shop = sellerViewer();
  const word = `quibbet${Date.now().toString(36)}`;
  /** Polls until the search shows what it must: the time it took is search's staleness. */
  async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`search did not reflect the change within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return Date.now() - started;
  }
  const count = async (variables: Record<string, unknown>) => (await search(variables)).totalCount;

  test('created, published, edited, sold out and archived listings show in search within a second', async () => {
    const id = await create(shop, { title: `Lantern ${word}`, stock: 1 }, false);
    expect(await count({ query: word })).toBe(0); // a draft is not searchable
    await lone.call(shop, `mutation ($id: ID!) { publishListing(id: $id) { id } }`, { id });
    await within(1000, async () => (await count({ query: word })) === 1);
    await lone.call(shop, `mutation ($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { id } }`, {
      id,
      input: { title: `Storm lantern ${word}` },
    });
    await within(1000, async () => (await titles({ query: word }))[0] === `Storm lantern ${word}`);
    // sold out by a checkout's reservation (an internal call, signed as the orders subgraph signs it)
    await lone.call({ userId: 'service:orders', roles: ['service'], scopes: ['internal'] }, `mutation ($input: ReserveStockInput!) { reserveStock(input: $input) { id } }`, {
      input: { reservationId: randomUUID(), items: [{ listingId: id, quantity: 1 }] },
    });
    await within(1000, async () => (await count({ query: word, filter: { inStock: true } })) === 0);
    expect(await count({ query: word })).toBe(1);
    await lone.call(shop, `mutation ($id: ID!) { archiveListing(id: $id) { id } }`, { id });
    await within(1000, async () => (await count({ query: word })) === 0);
    expect(await count({ filter: { sellerId: shop.seller!.id } })).toBe(0);
  });
});

describe('rebuild', () => {
  test('npm run search:reindex rebuilds from the listings of record while searches keep answering', async () => {
    const shop = sellerViewer();
    const word = `frabjous${Date.now().toString(36)}`;
    await create(shop, { title: `Kettle ${word}` });
    // listings loaded in bulk, straight into the table of record, are not searchable yet
    await lone.subgraph.db.query(
      `INSERT INTO listings (seller_id, title, description, category_slug, price_amount, currency, stock, status)
       SELECT $1, 'Teapot ' || $2 || ' ' || i, 'Bulk', 'home-garden', 500 + i, 'USD', 3, 'ACTIVE' FROM generate_series(1, 30) i`,
      [shop.seller!.id, word],
    );
    expect((await search({ query: word })).totalCount).toBe(1);
    let answering = true;
    let answers = 0;
    const searching = (async () => {
      while (answering) {
        const found = await search({ query: word });
        expect([1, 31]).toContain(found.totalCount);
        answers++;
      }
    })();
    const phases: string[] = [];
    const { documents } = await reindexSearch(lone.subgraph.db, { priorScore: 3.5, batchSize: 7, onProgress: (p) => phases.push(p.phase) });
    answering = false;
    await searching;
    expect(answers).toBeGreaterThan(0);
    expect(phases).toEqual(expect.arrayContaining(['copy', 'count', 'index', 'swap', 'done']));
    const [{ n }] = await lone.subgraph.db.query(`SELECT count(*)::int AS n FROM listings WHERE status = 'ACTIVE'`);
    expect(documents).toBe(n);
    const found = await search({ query: word, first: 50 });
    expect([found.totalCount, found.edges.length]).toEqual([31, 31]);
    // the swapped-in copy keeps counting changes
    const id = await create(shop, { title: `Kettle ${word} the second` });
    expect((await search({ query: word })).totalCount).toBe(32);
    await lone.call(shop, `mutation ($id: ID!) { archiveListing(id: $id) { id } }`, { id });
    expect((await search({ query: word })).totalCount).toBe(31);
  });
});

describe('cache', () => {
  test('identical searches are answered from the cache; a ListingChanged event from another instance makes it forget', async () => {
    const shop = sellerViewer();
    const word = `snark${Date.now().toString(36)}`;
    const id = await create(shop, { title: `Mirror ${word}`, amount: 2500 });
    // the creation's own ListingChanged events invalidate once more when they arrive: let them
    await lone.subgraph.outbox.flush();
    await lone.bus.settled();
    // a search asked once is not cached (most are never asked again); asked again, its page is; its
    // listings by the first search that finds the page cached (the rows a search brought are not: a
    // change may have committed after they were read and before the listings' generations would be,
    // and the stale rows would live under the fresh ones)
    const pageStatements = (sqls: string[]) => sqls.filter((sql) => /search\.documents/.test(sql));
    expect(pageStatements(await lone.statements(() => search({ query: word })))).toHaveLength(1);
    const first = await search({ query: word });
    const third = await lone.statements(() => search({ query: word }));
    expect(pageStatements(third)).toEqual([]);
    expect(third.filter((sql) => /unnest/.test(sql))).toHaveLength(1);
    const statements = await lone.statements(() => search({ query: word }));
    // (event consumers work in the background: their transactions are not this search's)
    expect(statements.filter((sql) => !/outbox|processed_events|^(START TRANSACTION|COMMIT|ROLLBACK)$/.test(sql))).toEqual([]);
    // another instance changed the listing: its row and its document, then its event
    await lone.subgraph.db.query(`UPDATE listings SET title = 'Mirror, cracked ' || $2 WHERE id = $1`, [id, word]);
    const change = await lone.subgraph.db.transaction((manager) => new SearchProjection(3.5).listings(manager, [id]));
    expect(await search({ query: word })).toEqual(first); // this instance has not heard of it yet
    await lone.bus.publish([{ id: randomUUID(), type: 'ListingChanged', source: 'listings', occurredAt: new Date().toISOString(), payload: change }]);
    await lone.bus.settled();
    const after = await search({ query: word });
    expect(first.edges[0].node.title).toBe(`Mirror ${word}`);
    expect(after.edges[0].node.title).toBe(`Mirror, cracked ${word}`);
  });
});
