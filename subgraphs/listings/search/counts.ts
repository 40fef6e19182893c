import { given } from '../../../lib/validation';
import type { EntityManager } from 'typeorm';
import { BUCKET_BASE, SEARCH_SCHEMA } from './read-model';
import type { Hit } from './page';
import { DOCUMENTS, Params, matchConditions, textQuery, whereClause, type Statement } from './sql';
import { pairCounterStatement } from './pair-counts';
import type { AnalyzedText, FacetCount, SearchCounts, SearchFilter } from './types';

type Queryable = Pick<EntityManager, 'query'>;

export interface FacetRow {
  /** A category; null only in the pair counter's row of common words (see pairCounterStatement). */
  value: string | null;
  count: string | number;
}

/** Most matches first, then by name, as a sidebar lists them. */
function facetsOf(rows: FacetRow[]): FacetCount[] {
  return rows
    .flatMap((row) => (row.value === null ? [] : [{ value: row.value, count: Number(row.count) }]))
    .filter((facet) => facet.count > 0)
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

function exactCounts(facets: FacetCount[], category: string | undefined): SearchCounts {
  const total = category
    ? (facets.find((facet) => facet.value === category)?.count ?? 0)
    : facets.reduce((sum, facet) => sum + facet.count, 0);
  return { total, exact: true, facets };
}

/**
 * Counts without text, from the counters: without a price bound, the sums per category; with one,
 * whole price buckets are summed, and the (at most two) buckets a price bound cuts through are
 * counted row by row from an index. Exact at any size.
 */
function facetCounterStatement(filter: SearchFilter): Statement {
  const stocked = filter.inStock ? ['in_stock'] : [];
  if (!given(filter.minPrice) && !given(filter.maxPrice)) {
    // every price: the sums per category answer it
    return {
      sql: `SELECT category_slug AS value, sum(n) AS count FROM ${SEARCH_SCHEMA}.category_counts ${whereClause(stocked)} GROUP BY category_slug`,
      values: [],
    };
  }
  const { minPrice, maxPrice } = filter;
  const ordered = !given(minPrice) || !given(maxPrice) || minPrice <= maxPrice;
  return ordered ? bySmallerSides(minPrice, maxPrice, filter.inStock) : byCutBuckets(filter);
}

/**
 * Where a bound falls in its bucket, as a share of the bucket's prices (buckets are 5 % wide, and
 * prices within one are near enough evenly spread for choosing which side to count).
 */
const shareBelow = (amount: number) => (Math.log(Math.max(amount, 1)) / Math.log(BUCKET_BASE)) % 1;

/**
 * Each cut bucket counted from its smaller side: the rows within the bound when they are the fewer,
 * else the bucket's whole count less the rows beyond the bound. A cut bucket then costs a quarter of
 * its rows on average instead of half. Exact for ordered bounds (min <= max), including both in one
 * bucket: what is subtracted is always inside what was counted.
 */
function bySmallerSides(minPrice: number | null | undefined, maxPrice: number | null | undefined, inStock: boolean | null | undefined): Statement {
  const params = new Params();
  const whole = inStock ? ['in_stock'] : [];
  const edges: string[] = [];
  let fromWithin = 0;
  const stock = inStock ? ' AND d.in_stock' : '';
  const side = (bucket: string, amount: string, keep: '>=' | '<=', wholeBucket: boolean) => {
    const beyond = keep === '>=' ? '<' : '>';
    whole.push(`price_bucket ${keep === '>=' ? '>' : '<'}${wholeBucket ? '=' : ''} ${bucket}`);
    const [sign, compare] = wholeBucket ? ['-1', beyond] : ['1', keep];
    if (!wholeBucket) fromWithin++;
    edges.push(`SELECT d.category_slug, ${sign} FROM ${DOCUMENTS} d WHERE d.price_bucket = ${bucket} AND d.price_amount ${compare} ${amount}${stock}`);
  };
  if (given(minPrice)) {
    const amount = params.add(minPrice);
    side(`${SEARCH_SCHEMA}.price_bucket(${amount})`, amount, '>=', shareBelow(minPrice) < 0.5);
  }
  if (given(maxPrice)) {
    const amount = params.add(maxPrice);
    side(`${SEARCH_SCHEMA}.price_bucket(${amount})`, amount, '<=', shareBelow(maxPrice) >= 0.5);
  }
  if (fromWithin === 2) {
    // both from within: were both bounds in one bucket (which the shares above cannot rule out at a
    // bucket's very edge, where JavaScript's logarithm and PostgreSQL's may differ), its rows would be
    // counted twice; one pass over both cuts counts them once
    return byCutBuckets({ minPrice, maxPrice, inStock });
  }
  return bucketSums(whole, edges, params.values);
}

/** Both cut buckets counted from within the bounds, in one pass (also right for bounds out of order: nothing). */
function byCutBuckets(filter: SearchFilter): Statement {
  const params = new Params();
  const whole: string[] = filter.inStock ? ['in_stock'] : [];
  const edge: string[] = [];
  const edgeBuckets: string[] = [];
  if (given(filter.minPrice)) {
    const low = `${SEARCH_SCHEMA}.price_bucket(${params.add(filter.minPrice)})`;
    whole.push(`price_bucket > ${low}`);
    edgeBuckets.push(low);
    edge.push(`d.price_amount >= ${params.add(filter.minPrice)}`);
  }
  if (given(filter.maxPrice)) {
    const high = `${SEARCH_SCHEMA}.price_bucket(${params.add(filter.maxPrice)})`;
    whole.push(`price_bucket < ${high}`);
    edgeBuckets.push(high);
    edge.push(`d.price_amount <= ${params.add(filter.maxPrice)}`);
  }
  if (filter.inStock) edge.push('d.in_stock');
  const cuts = `SELECT d.category_slug, 1 FROM ${DOCUMENTS} d WHERE d.price_bucket IN (${edgeBuckets.join(', ')}) AND ${edge.join(' AND ')}`;
  return bucketSums(whole, [cuts], params.values);
}

/** Whole price buckets' counts summed per category, with the rows of the cut buckets counted in (1) or out (-1). */
function bucketSums(whole: string[], cuts: string[], values: unknown[]): Statement {
  return {
    sql: `SELECT category_slug AS value, sum(n) AS count FROM (
            SELECT category_slug, n FROM ${SEARCH_SCHEMA}.facet_counts ${whereClause(whole)}
            ${cuts.map((cut) => `UNION ALL ${cut}`).join('\n')}
          ) c GROUP BY category_slug`,
    values,
  };
}

/** A one-word search without other filters than the category: the word's counters. Exact at any size. */
function termCounterStatement(lexeme: string): Statement {
  return {
    sql: `SELECT category_slug AS value, sum(n) AS count FROM ${SEARCH_SCHEMA}.term_counts WHERE lexeme = $1 GROUP BY category_slug`,
    values: [lexeme],
  };
}

/**
 * The statement that reads this search's counts from a counter, when one answers it: its rows are
 * facets (`value`, `count`), which `countedByCounters` turns into the counts.
 */
export function counterStatement(text: AnalyzedText | null, filter: SearchFilter, pairCounted = false): Statement | undefined {
  if (text?.empty || !countersAnswer(text, filter, pairCounted)) return undefined;
  if (!text) return facetCounterStatement(filter);
  return text.singleLexeme ? termCounterStatement(text.singleLexeme) : pairCounterStatement(SEARCH_SCHEMA, text.pair!);
}

/**
 * The counts a counter's rows make (see counterStatement); none when the pair counter said it does not
 * count this pair (its row without a value counts fewer than two common words).
 */
export function countedByCounters(rows: FacetRow[], filter: SearchFilter): SearchCounts | undefined {
  const commonWords = rows.find((row) => row.value === null);
  if (commonWords && Number(commonWords.count) < 2) return undefined;
  return exactCounts(facetsOf(rows), filter.category?.trim());
}

/** A relevance page the counting pass found too: every match was among those it read. */
export interface CountedPage {
  hits: Hit[];
}

interface MatchRow {
  kind: 'facet' | 'hit';
  value: string | null;
  count: string | null;
  more: boolean | null;
  id: string | null;
  tier: number | null;
  key: number | null;
}

/**
 * Everything else counts matches, but at most `bound` + 1 of them (as search engines do): below the
 * bound the counts are exact; above it the total is the bound, a lower bound, and the facets are
 * those of the first `bound` matches found.
 *
 * With `page`, the same pass also orders the matches it read by relevance (tier, then quality, see
 * page.ts) and returns the best `page.limit` after `page.after`, when it read every match: a search
 * whose words are each common but rare together then reads its matches once, instead of once to
 * count them and again for each tier of the page. When there are more, the page is left to the tier
 * walk (common words fill a tier fast), and the ordering is skipped.
 */
async function byCountingMatches(
  db: Queryable,
  text: AnalyzedText | null,
  filter: SearchFilter,
  bound: number,
  page?: { after: [number, number, string] | undefined; limit: number },
): Promise<{ counts: SearchCounts; page?: CountedPage }> {
  const params = new Params();
  const where = matchConditions(text, filter, params, { category: false });
  const limit = params.add(bound);
  const category = filter.category?.trim();
  const pagePart = () => {
    const conditions = ['NOT EXISTS (SELECT 1 FROM m WHERE rn > ' + limit + ')'];
    if (category) conditions.push(`m.category_slug = ${params.add(category)}`);
    const tier = `(CASE WHEN m.in_stock THEN 3 ELSE 1 END + CASE WHEN m.title_terms @@ ${textQuery(text!, params)} THEN 1 ELSE 0 END)`;
    if (page!.after) {
      const [afterTier, afterKey, afterId] = page!.after;
      conditions.push(`(${tier}, m.quality, m.listing_id) < (${params.add(afterTier)}::int, ${params.add(afterKey)}::float8, ${params.add(afterId)}::uuid)`);
    }
    return `UNION ALL
      (SELECT 'hit', NULL, NULL, NULL, m.listing_id, ${tier}, m.quality FROM m WHERE ${conditions.join(' AND ')}
       ORDER BY 6 DESC, m.quality DESC, m.listing_id DESC LIMIT ${params.add(page!.limit)})`;
  };
  const columns = page && text ? ', d.listing_id, d.in_stock, d.quality, d.title_terms' : '';
  const rows: MatchRow[] = await db.query(
    `WITH m AS MATERIALIZED (
       SELECT d.category_slug${columns}, row_number() OVER () AS rn FROM ${DOCUMENTS} d ${whereClause(where)} LIMIT ${limit} + 1
     )
     SELECT 'facet' AS kind, category_slug AS value, count(*) FILTER (WHERE rn <= ${limit}) AS count, bool_or(rn > ${limit}) AS more,
            NULL::uuid AS id, NULL::int AS tier, NULL::float8 AS key
     FROM m GROUP BY category_slug
     ${page && text ? pagePart() : ''}`,
    params.values,
  );
  const facetRows = rows.filter((row) => row.kind === 'facet') as (FacetRow & { more: boolean })[];
  const facets = facetsOf(facetRows);
  const more = facetRows.some((row) => row.more);
  const counted = !more && page && text
    ? { hits: rows.filter((row) => row.kind === 'hit').map((row) => ({ id: row.id!, position: [row.tier, row.key, row.id] })) }
    : undefined;
  if (!more) return { counts: exactCounts(facets, category), page: counted };
  if (!category) return { counts: { total: bound, exact: false, facets } };
  // the category's own count, bounded the same way
  const inCategory = new Params();
  const conditions = matchConditions(text, filter, inCategory);
  const [{ count }]: { count: string }[] = await db.query(
    `SELECT count(*) AS count FROM (SELECT 1 FROM ${DOCUMENTS} d ${whereClause(conditions)} LIMIT ${inCategory.add(bound + 1)}) m`,
    inCategory.values,
  );
  const total = Number(count);
  return { counts: { total: Math.min(total, bound), exact: total <= bound, facets } };
}

/**
 * Whether a counter answers this search's counts (else its matches are counted, up to the bound).
 * `pairCounted`: whether a pair of words is taken to have a counter (see ListingSearch).
 */
function countersAnswer(text: AnalyzedText | null, filter: SearchFilter, pairCounted: boolean): boolean {
  if (text?.empty) return true;
  const onlyCategory = !given(filter.minPrice) && !given(filter.maxPrice) && !given(filter.sellerId) && !filter.inStock;
  if (!text && !given(filter.sellerId)) return true;
  return onlyCategory && Boolean(text?.singleLexeme || (text?.pair && pairCounted));
}

/**
 * A relevance search whose counts no counter answers: one pass over its matches counts them and, when
 * it read them all, orders the page too (see byCountingMatches). Undefined when counters answer it.
 */
export async function countAndRank(
  db: Queryable,
  text: AnalyzedText,
  filter: SearchFilter,
  bound: number,
  after: [number, number, string] | undefined,
  limit: number,
  pairCounted: boolean,
): Promise<{ counts: SearchCounts; page?: CountedPage } | undefined> {
  if (countersAnswer(text, filter, pairCounted)) return undefined;
  return byCountingMatches(db, text, filter, bound, { after, limit });
}

/** Picks the cheapest structure that answers the counts of this search. */
export async function searchCounts(
  db: Queryable,
  text: AnalyzedText | null,
  filter: SearchFilter,
  bound: number,
  pairCounted = false,
): Promise<SearchCounts> {
  if (text?.empty) return { total: 0, exact: true, facets: [] };
  const counter = counterStatement(text, filter, pairCounted);
  const counted = counter && countedByCounters(await db.query(counter.sql, counter.values), filter);
  return counted ?? (await byCountingMatches(db, text, filter, bound)).counts;
}
