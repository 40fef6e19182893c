import { given } from '../../../lib/validation';
import type { EntityManager } from 'typeorm';
import { SEARCH_SCHEMA } from './read-model';
import { DOCUMENTS, Params, matchConditions, whereClause } from './sql';
import type { AnalyzedText, FacetCount, SearchCounts, SearchFilter } from './types';

type Queryable = Pick<EntityManager, 'query'>;

interface FacetRow {
  value: string;
  count: string | number;
}

/** Most matches first, then by name, as a sidebar lists them. */
function facetsOf(rows: FacetRow[]): FacetCount[] {
  return rows
    .map((row) => ({ value: row.value, count: Number(row.count) }))
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
 * Counts without text, from the counters: whole price buckets are summed, and the (at most two)
 * buckets a price bound cuts through are counted row by row from an index. Exact at any size.
 */
async function fromFacetCounters(db: Queryable, filter: SearchFilter): Promise<FacetCount[]> {
  const params = new Params();
  const whole: string[] = [];
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
  if (filter.inStock) {
    whole.push('in_stock');
    edge.push('d.in_stock');
  }
  const edges = edgeBuckets.length
    ? `UNION ALL
       SELECT d.category_slug, 1 FROM ${DOCUMENTS} d
       WHERE d.price_bucket IN (${edgeBuckets.join(', ')}) ${edge.length ? `AND ${edge.join(' AND ')}` : ''}`
    : '';
  const rows: FacetRow[] = await db.query(
    `SELECT category_slug AS value, sum(n) AS count FROM (
       SELECT category_slug, n FROM ${SEARCH_SCHEMA}.facet_counts ${whereClause(whole)}
       ${edges}
     ) c GROUP BY category_slug`,
    params.values,
  );
  return facetsOf(rows);
}

/** A one-word search without other filters than the category: the word's counters. Exact at any size. */
async function fromTermCounters(db: Queryable, lexeme: string): Promise<FacetCount[]> {
  const rows: FacetRow[] = await db.query(
    `SELECT category_slug AS value, sum(n) AS count FROM ${SEARCH_SCHEMA}.term_counts WHERE lexeme = $1 GROUP BY category_slug`,
    [lexeme],
  );
  return facetsOf(rows);
}

/**
 * Everything else counts matches, but at most `bound` + 1 of them (as search engines do): below the
 * bound the counts are exact; above it the total is the bound, a lower bound, and the facets are
 * those of the first `bound` matches found.
 */
async function byCountingMatches(
  db: Queryable,
  text: AnalyzedText | null,
  filter: SearchFilter,
  bound: number,
): Promise<SearchCounts> {
  const params = new Params();
  const where = matchConditions(text, filter, params, { category: false });
  const limit = params.add(bound);
  const rows: (FacetRow & { more: boolean })[] = await db.query(
    `SELECT category_slug AS value, count(*) FILTER (WHERE rn <= ${limit}) AS count, bool_or(rn > ${limit}) AS more
     FROM (SELECT d.category_slug, row_number() OVER () AS rn FROM ${DOCUMENTS} d ${whereClause(where)} LIMIT ${limit} + 1) m
     GROUP BY category_slug`,
    params.values,
  );
  const facets = facetsOf(rows);
  const category = filter.category?.trim();
  if (!rows.some((row) => row.more)) return exactCounts(facets, category);
  if (!category) return { total: bound, exact: false, facets };
  // the category's own count, bounded the same way
  const inCategory = new Params();
  const conditions = matchConditions(text, filter, inCategory);
  const [{ count }]: { count: string }[] = await db.query(
    `SELECT count(*) AS count FROM (SELECT 1 FROM ${DOCUMENTS} d ${whereClause(conditions)} LIMIT ${inCategory.add(bound + 1)}) m`,
    inCategory.values,
  );
  const total = Number(count);
  return { total: Math.min(total, bound), exact: total <= bound, facets };
}

/** Picks the cheapest structure that answers the counts of this search. */
export async function searchCounts(
  db: Queryable,
  text: AnalyzedText | null,
  filter: SearchFilter,
  bound: number,
): Promise<SearchCounts> {
  const category = filter.category?.trim();
  if (text?.empty) return { total: 0, exact: true, facets: [] };
  const onlyCategory = !given(filter.minPrice) && !given(filter.maxPrice) && !given(filter.sellerId) && !filter.inStock;
  if (!text && !given(filter.sellerId)) return exactCounts(await fromFacetCounters(db, filter), category);
  if (text?.singleLexeme && onlyCategory) return exactCounts(await fromTermCounters(db, text.singleLexeme), category);
  return byCountingMatches(db, text, filter, bound);
}
