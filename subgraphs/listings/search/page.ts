import { SEARCH_SCHEMA } from './read-model';
import { DOCUMENTS, Params, filterConditions, matchConditions, textQuery, whereClause } from './sql';
import type { AnalyzedText, SearchFilter, SearchSort } from './types';

/** Whatever runs a search's statements: a data source, or PageRows (which brings the listings along). */
export interface Statements {
  query<T>(sql: string, parameters?: unknown[]): Promise<T[]>;
}

export type KeyType = 'timestamptz' | 'integer' | 'float8';

/** One listing of a page and where it stands in the order: its sort keys, the id breaking ties. */
export interface Hit {
  id: string;
  position: unknown[];
}

interface Order {
  /** Column of the sort key; the id breaks ties in the same direction. */
  key: string;
  type: KeyType;
  direction: 'ASC' | 'DESC';
}

/** Every order a document index yields directly, so a page reads only the rows it shows. */
export const ORDERS: Record<Exclude<SearchSort, 'RELEVANCE'>, Order> = {
  NEWEST: { key: 'd.created_at', type: 'timestamptz', direction: 'DESC' },
  PRICE_ASC: { key: 'd.price_amount', type: 'integer', direction: 'ASC' },
  PRICE_DESC: { key: 'd.price_amount', type: 'integer', direction: 'DESC' },
  // a seller nobody has reviewed yet stands at the reputation prior, as the reputation subgraph scores it
  RATING: { key: 'd.seller_score', type: 'float8', direction: 'DESC' },
};

interface Row {
  id: string;
  key: unknown;
}

const keyValue = (key: unknown) => (key instanceof Date ? key.toISOString() : key);

/** Listings in a keyed order (newest, price, rating), optionally matching a text: one index walk. */
export async function orderedPage(
  db: Statements,
  text: AnalyzedText | null,
  filter: SearchFilter,
  order: Order,
  after: [unknown, string] | undefined,
  limit: number,
): Promise<Hit[]> {
  const params = new Params();
  const where = matchConditions(text, filter, params);
  if (after) {
    const beyond = order.direction === 'DESC' ? '<' : '>';
    where.push(`(${order.key}, d.listing_id) ${beyond} (CAST(${params.add(after[0])} AS ${order.type}), CAST(${params.add(after[1])} AS uuid))`);
  }
  const rows = await db.query<Row>(
    `SELECT d.listing_id AS id, ${order.key} AS key FROM ${DOCUMENTS} d ${whereClause(where)}
     ORDER BY ${order.key} ${order.direction}, d.listing_id ${order.direction} LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((row) => ({ id: row.id, position: [keyValue(row.key), row.id] }));
}

/**
 * RELEVANCE as tiers, best first, and within a tier by quality (in stock, then the seller's
 * reputation), then id:
 *   4. in stock, every word of the query in the title
 *   3. in stock, the query matched with the description's help
 *   2. sold out, every word in the title
 *   1. sold out, with the description's help
 * Each tier is one walk of the quality index (or, for a rare word, a bitmap of its few matches), so a
 * page costs about the rows it shows however many listings match: nothing ranks every match. A tier
 * is read only when the ones above it did not fill the page.
 */
export const TIERS = [4, 3, 2, 1] as const;

function tierConditions(tier: number, match: string, text: AnalyzedText): string[] {
  const inStock = tier >= 3 ? 'd.in_stock' : 'NOT d.in_stock';
  if (tier % 2 === 1) return [inStock, `d.terms @@ ${match}`, `NOT (d.title_terms @@ ${match})`];
  // The title's words are among the document's (terms = title || description, in the same positions),
  // so a title that matches a query without negation makes the document match: asking both would
  // have PostgreSQL intersect the title's few matches with the whole text's many, which for common
  // words cost more than the rest of the search.
  return excludesWords(text) ? [inStock, `d.terms @@ ${match}`, `d.title_terms @@ ${match}`] : [inStock, `d.title_terms @@ ${match}`];
}

/** Whether the query excludes a word (`-word`): then a title may match where the whole text does not. */
const excludesWords = (text: AnalyzedText) => text.tsquery.includes('!');

/**
 * Below this many matches (by default), one statement collects and orders them all, cheaper than a
 * walk per tier. Above it the title tiers win: at a million listings, a word in 2,000 of them ordered
 * whole took 15 ms, its best title matches 1 ms.
 */
export const FEW_MATCHES = 500;

/**
 * An upper bound of a query's matches, from the word counters: the fewest documents any of its words
 * is in when every word must match, their sum when the query says `or`.
 */
export async function matchesAtMost(db: Statements, text: AnalyzedText): Promise<number> {
  const { lexemes } = text;
  if (lexemes.length === 0) return Number.POSITIVE_INFINITY;
  const rows = await db.query<{ lexeme: string; n: string }>(
    `SELECT lexeme, sum(n) AS n FROM ${SEARCH_SCHEMA}.term_counts WHERE lexeme = ANY($1::text[]) GROUP BY lexeme`,
    [lexemes],
  );
  // a word in no document: nothing matches (unless the query only excludes it)
  const counts = rows.map((row) => Number(row.n));
  if (/\bor\b/i.test(text.text)) return counts.reduce((sum, n) => sum + n, 0);
  return rows.length < lexemes.length ? 0 : Math.min(...counts);
}

/** The tier of a document as an expression, for ordering a few matches in one statement. */
function tierExpression(match: string): string {
  return `(CASE WHEN d.in_stock THEN 3 ELSE 1 END + CASE WHEN d.title_terms @@ ${match} THEN 1 ELSE 0 END)`;
}

async function fewMatchesPage(
  db: Statements,
  text: AnalyzedText,
  filter: SearchFilter,
  after: [number, number, string] | undefined,
  limit: number,
): Promise<Hit[]> {
  const params = new Params();
  const match = textQuery(text, params);
  const tier = tierExpression(match);
  const where = [...filterConditions(filter, params), `d.terms @@ ${match}`];
  if (after) {
    where.push(`(${tier}, d.quality, d.listing_id) < (${params.add(after[0])}::int, ${params.add(after[1])}::float8, ${params.add(after[2])}::uuid)`);
  }
  const rows = await db.query<{ id: string; tier: number; key: number }>(
    `SELECT d.listing_id AS id, ${tier} AS tier, d.quality AS key FROM ${DOCUMENTS} d ${whereClause(where)}
     ORDER BY 2 DESC, d.quality DESC, d.listing_id DESC LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((row) => ({ id: row.id, position: [row.tier, row.key, row.id] }));
}

/**
 * `matches` is an upper bound of the query's matches (see matchesAtMost): it decides, against
 * `fewMatches` (FEW_MATCHES), between ordering them all at once and walking the tiers, never what the
 * page holds.
 */
export async function relevancePage(
  db: Statements,
  text: AnalyzedText,
  filter: SearchFilter,
  after: [number, number, string] | undefined,
  limit: number,
  { matches, fewMatches }: { matches: number; fewMatches: number },
): Promise<Hit[]> {
  if (!text.text.includes('-') && matches <= fewMatches) {
    return fewMatchesPage(db, text, filter, after, limit);
  }
  // The best tier alone first: it fills the page for most words, and a statement of one tier plans in
  // half the time of one of four. The others, when it did not, in one statement.
  const tiers = TIERS.filter((tier) => !after || tier <= after[0]);
  const hits = await tiersPage(db, text, filter, after, tiers.slice(0, 1), limit);
  if (hits.length < limit && tiers.length > 1) hits.push(...(await tiersPage(db, text, filter, after, tiers.slice(1), limit - hits.length)));
  return hits;
}

/**
 * These tiers' page, in one statement: PostgreSQL's Append runs them in turn and the outer LIMIT stops
 * it as soon as the page is full, so a lower tier is read only when the ones above did not fill it.
 * The order of a UNION ALL's rows is Append's, which is the tiers' as long as the plan is not
 * parallel: no tier's cost comes near what makes the planner start workers (a LIMIT of a page's size
 * on an index in its order), and the tier of each row comes back to be checked.
 */
async function tiersPage(
  db: Statements,
  text: AnalyzedText,
  filter: SearchFilter,
  after: [number, number, string] | undefined,
  tiers: readonly number[],
  limit: number,
): Promise<Hit[]> {
  const params = new Params();
  const size = params.add(limit);
  const selects = tiers.map((tier) => {
    const where = [...filterConditions(filter, params), ...tierConditions(tier, textQuery(text, params), text)];
    if (after && tier === after[0]) {
      where.push(`(d.quality, d.listing_id) < (CAST(${params.add(after[1])} AS float8), CAST(${params.add(after[2])} AS uuid))`);
    }
    return `(SELECT d.listing_id AS id, ${tier} AS tier, d.quality AS key FROM ${DOCUMENTS} d ${whereClause(where)}
             ORDER BY d.quality DESC, d.listing_id DESC LIMIT ${size})`;
  });
  const statement = selects.length === 1 ? selects[0] : `${selects.join(' UNION ALL ')} LIMIT ${size}`;
  const rows = await db.query<Row & { tier: number; key: number }>(statement, params.values);
  if (rows.some((row, i) => i > 0 && row.tier > rows[i - 1].tier)) throw new Error('relevance tiers came back out of order');
  return rows.map((row) => ({ id: row.id, position: [row.tier, row.key, row.id] }));
}
