import type { EntityManager, QueryRunner } from 'typeorm';
import { CATEGORY_COUNTS, FACET_COUNTS, PAIR_COUNTS, TERM_COUNTS, compactCounter, createCounter } from './counter-tables';
import { COMMON_WORDS, admitCommonWords, createPairCounts, pairDeltas, type CommonWordRule } from './pair-counts';

/**
 * The structures search is served from, kept apart from the listings of record in a schema of their
 * own so that a rebuild (`npm run search:reindex`) can make a complete second copy beside the live
 * one and swap the two in one rename, while searches keep answering.
 *
 * - `documents`: one narrow row per searchable listing (ACTIVE), with what search filters, sorts and
 *   matches on, and the seller's reputation copied in. Every sort has an index that yields rows in
 *   its order, so a page costs the rows it shows, not the rows that match.
 * - `facet_counts`: how many documents there are per category, price bucket and stock state. Counts
 *   and facets of a search without text are sums of a few hundred of these rows, whatever the size
 *   of the catalogue; only the two buckets a price bound cuts through are counted row by row.
 * - `term_counts`: how many documents of each category hold each word. A one-word search reads its
 *   total and its facets here instead of counting its matches.
 * - `category_counts`: facet_counts summed over prices.
 * - `pair_counts`: how many documents of each category hold both of two common words, for two-word
 *   searches (pair-counts.ts).
 *
 * The counters (counter-tables.ts) are maintained by a trigger on `documents`, in the transaction
 * that changes the document, as signed deltas appended to the table: writers never wait on each
 * other for a hot counter row. `compactCounters` folds the deltas into one row per key now and then.
 */
export const SEARCH_SCHEMA = 'search';

/** Buckets 5 % wide: ~380 of them span one cent to a million. */
export const BUCKET_BASE = 1.05;

/**
 * Which listings have a search document: ACTIVE ones whose seller is not suspended. A suspended
 * seller's documents are deleted rather than filtered at query time, so searching costs the same.
 */
export const SEARCHABLE = `l.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM seller_standing s WHERE s.seller_id = l.seller_id AND s.status = 'SUSPENDED')`;

/**
 * What a row of the table of record turns into; the projection and the rebuild share it.
 * `standing` false: as before sellers could be suspended (for the migration that predates it).
 */
export function documentSelect(schema: string, priorScore: string, { standing = true }: { standing?: boolean } = {}): string {
  return `
    SELECT l.id, l.seller_id, l.category_slug, l.price_amount, ${schema}.price_bucket(l.price_amount),
           l.stock > 0, coalesce(r.score, ${priorScore}),
           ${schema}.quality(l.stock > 0, coalesce(r.score, ${priorScore})),
           l.created_at, to_tsvector('english', l.title), l.search
    FROM listings l LEFT JOIN seller_reputation r ON r.seller_id = l.seller_id
    WHERE ${standing ? SEARCHABLE : `l.status = 'ACTIVE'`}`;
}

export const DOCUMENT_COLUMNS =
  'listing_id, seller_id, category_slug, price_amount, price_bucket, in_stock, seller_score, quality, created_at, title_terms, terms';

/**
 * Which counters a read model has: all of them, except where a migration creates or rewrites it as it
 * was at its time, before later migrations added the others.
 */
export interface Counters {
  categoryCounts: boolean;
  pairCounts: boolean;
}

export const EVERY_COUNTER: Counters = { categoryCounts: true, pairCounts: true };

/** Tables, functions and the counting trigger: everything but the secondary indexes. */
export async function createReadModelTables(q: QueryRunner | EntityManager, schema: string, counters = EVERY_COUNTER): Promise<void> {
  await q.query(`CREATE SCHEMA ${schema}`);
  await q.query(`
    CREATE FUNCTION ${schema}.price_bucket(amount integer) RETURNS smallint
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN floor(ln(greatest(amount, 1)) / ln(${BUCKET_BASE}))::smallint`);
  // In stock outranks any reputation: a sold-out listing sorts below every listing one can buy.
  await q.query(`
    CREATE FUNCTION ${schema}.quality(in_stock boolean, seller_score double precision) RETURNS double precision
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN (CASE WHEN in_stock THEN 10 ELSE 0 END) + seller_score`);
  await q.query(`
    CREATE TABLE ${schema}.documents (
      listing_id uuid PRIMARY KEY,
      seller_id uuid NOT NULL,
      category_slug text NOT NULL,
      price_amount integer NOT NULL,
      price_bucket smallint NOT NULL,
      in_stock boolean NOT NULL,
      seller_score double precision NOT NULL,
      quality double precision NOT NULL,
      created_at timestamptz(3) NOT NULL,
      title_terms tsvector NOT NULL,
      terms tsvector NOT NULL
    )`);
  await createCounter(q, schema, FACET_COUNTS);
  if (counters.categoryCounts) await createCategoryCounts(q, schema);
  await createCounter(q, schema, TERM_COUNTS);
  // a word's rows, totals and deltas alike, for a one-word search's counts
  await q.query(`CREATE INDEX term_counts_lexeme ON ${schema}.term_counts (lexeme)`);
  if (counters.pairCounts) await createPairCounts(q, schema);
  await createCountingFunction(q, schema, counters);
}

/**
 * `category_counts`: facet_counts summed over prices, so that a search without a price bound (browsing
 * a category, or everything) sums a handful of rows instead of every price bucket's (2,300 at a
 * million listings, a millisecond of PostgreSQL's time a search).
 */
export async function createCategoryCounts(q: QueryRunner | EntityManager, schema: string): Promise<void> {
  await createCounter(q, schema, CATEGORY_COUNTS);
}

/**
 * The trigger function names its schema's counters in its body: a schema renamed by a rebuild's swap
 * gets it written again.
 */
export async function createCountingFunction(q: QueryRunner | EntityManager, schema: string, counters = EVERY_COUNTER): Promise<void> {
  await q.query(`
    CREATE OR REPLACE FUNCTION ${schema}.count_document() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      terms_changed boolean := TG_OP <> 'UPDATE'
        OR OLD.terms IS DISTINCT FROM NEW.terms OR OLD.category_slug IS DISTINCT FROM NEW.category_slug;
      facet_changed boolean := TG_OP <> 'UPDATE' OR OLD.category_slug IS DISTINCT FROM NEW.category_slug
        OR OLD.price_bucket IS DISTINCT FROM NEW.price_bucket OR OLD.in_stock IS DISTINCT FROM NEW.in_stock;
      category_changed boolean := ${counters.categoryCounts} AND (TG_OP <> 'UPDATE' OR OLD.category_slug IS DISTINCT FROM NEW.category_slug
        OR OLD.in_stock IS DISTINCT FROM NEW.in_stock);
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF facet_changed THEN
          INSERT INTO ${schema}.facet_counts (category_slug, price_bucket, in_stock, n)
            VALUES (OLD.category_slug, OLD.price_bucket, OLD.in_stock, -1);
        END IF;
        IF category_changed THEN
          INSERT INTO ${schema}.category_counts (category_slug, in_stock, n) VALUES (OLD.category_slug, OLD.in_stock, -1);
        END IF;
        IF terms_changed THEN
          INSERT INTO ${schema}.term_counts (lexeme, category_slug, n)
            SELECT lexeme, OLD.category_slug, -1 FROM unnest(tsvector_to_array(OLD.terms)) AS lexeme;
          ${counters.pairCounts ? pairDeltas(schema, 'OLD', -1) : ''}
        END IF;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF facet_changed THEN
          INSERT INTO ${schema}.facet_counts (category_slug, price_bucket, in_stock, n)
            VALUES (NEW.category_slug, NEW.price_bucket, NEW.in_stock, 1);
        END IF;
        IF category_changed THEN
          INSERT INTO ${schema}.category_counts (category_slug, in_stock, n) VALUES (NEW.category_slug, NEW.in_stock, 1);
        END IF;
        IF terms_changed THEN
          INSERT INTO ${schema}.term_counts (lexeme, category_slug, n)
            SELECT lexeme, NEW.category_slug, 1 FROM unnest(tsvector_to_array(NEW.terms)) AS lexeme;
          ${counters.pairCounts ? pairDeltas(schema, 'NEW', 1) : ''}
        END IF;
      END IF;
      RETURN NULL;
    END $$`);
}

export async function createCountingTrigger(q: QueryRunner | EntityManager, schema: string): Promise<void> {
  await q.query(`
    CREATE TRIGGER count_documents AFTER INSERT OR UPDATE OR DELETE ON ${schema}.documents
      FOR EACH ROW EXECUTE FUNCTION ${schema}.count_document()`);
}

/**
 * One index per way search reads documents. Built after a bulk load, since building an index once is
 * far cheaper than growing it row by row.
 */
export async function createReadModelIndexes(q: QueryRunner | EntityManager, schema: string): Promise<void> {
  const d = `${schema}.documents`;
  const statements = [
    `CREATE INDEX documents_terms ON ${d} USING gin (terms)`,
    `CREATE INDEX documents_title_terms ON ${d} USING gin (title_terms)`,
    // RELEVANCE walks matches best first within a match tier
    `CREATE INDEX documents_quality ON ${d} (quality DESC, listing_id DESC)`,
    `CREATE INDEX documents_category_quality ON ${d} (category_slug, quality DESC, listing_id DESC)`,
    `CREATE INDEX documents_newest ON ${d} (created_at DESC, listing_id DESC)`,
    `CREATE INDEX documents_category_newest ON ${d} (category_slug, created_at DESC, listing_id DESC)`,
    // read backwards for PRICE_DESC
    `CREATE INDEX documents_price ON ${d} (price_amount, listing_id)`,
    `CREATE INDEX documents_category_price ON ${d} (category_slug, price_amount, listing_id)`,
    `CREATE INDEX documents_rating ON ${d} (seller_score DESC, listing_id DESC)`,
    `CREATE INDEX documents_category_rating ON ${d} (category_slug, seller_score DESC, listing_id DESC)`,
    `CREATE INDEX documents_seller ON ${d} (seller_id, created_at DESC, listing_id DESC)`,
    // the two buckets a price bound cuts through are counted from this index alone
    `CREATE INDEX documents_price_bucket ON ${d} (price_bucket, price_amount) INCLUDE (category_slug, in_stock)`,
  ];
  for (const statement of statements) await q.query(statement);
  await setWordStatistics(q, schema);
}

/**
 * Word statistics for the planner: how common a word is decides between walking an order and
 * collecting a word's matches. A target of 100 keeps the 1,000 commonest words (PostgreSQL keeps ten
 * per unit of target for tsvector columns), far more than the few hundred common enough to be worth
 * walking; every word beyond is estimated rare, which is what it is. More costs every text search's
 * planning: at 1,000 (the whole 5,000-word vocabulary of the benchmark) planning a relevance page took
 * 1.9 ms, three times what running it did, against 0.6 ms at 100.
 */
export async function setWordStatistics(q: QueryRunner | EntityManager, schema = SEARCH_SCHEMA): Promise<void> {
  await q.query(`ALTER TABLE ${schema}.documents ALTER COLUMN terms SET STATISTICS 100`);
  await q.query(`ALTER TABLE ${schema}.documents ALTER COLUMN title_terms SET STATISTICS 100`);
}

/**
 * Folds the counters' deltas into one row per key, atomically: a reader sees either the deltas or
 * their sum, never both or neither. Safe to run concurrently (a delta is deleted once).
 */
export async function compactCounters(q: QueryRunner | EntityManager, schema = SEARCH_SCHEMA, counters = EVERY_COUNTER): Promise<void> {
  const tables = [FACET_COUNTS, TERM_COUNTS, ...(counters.categoryCounts ? [CATEGORY_COUNTS] : []), ...(counters.pairCounts ? [PAIR_COUNTS] : [])];
  for (const counter of tables) await compactCounter(q, schema, counter);
}

/**
 * Counters computed from the documents in one pass: how a rebuild fills them. The common words are
 * chosen afresh by `commonWords`.
 */
export async function countFromScratch(
  q: QueryRunner | EntityManager,
  schema: string,
  commonWords: CommonWordRule = COMMON_WORDS,
): Promise<void> {
  await q.query(`
    INSERT INTO ${schema}.facet_counts (category_slug, price_bucket, in_stock, n, delta)
      SELECT category_slug, price_bucket, in_stock, count(*), false FROM ${schema}.documents GROUP BY 1, 2, 3`);
  await q.query(`
    INSERT INTO ${schema}.category_counts (category_slug, in_stock, n, delta)
      SELECT category_slug, in_stock, sum(n), false FROM ${schema}.facet_counts GROUP BY 1, 2`);
  await q.query(`
    INSERT INTO ${schema}.term_counts (lexeme, category_slug, n, delta)
      SELECT lexeme, category_slug, count(*), false
      FROM ${schema}.documents, unnest(tsvector_to_array(terms)) AS lexeme GROUP BY 1, 2`);
  await admitCommonWords(q, schema, commonWords);
}
