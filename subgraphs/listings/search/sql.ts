import { given } from '../../../lib/validation';
import { isUuid } from '../../../lib/ids';
import { SEARCH_SCHEMA } from './read-model';
import type { AnalyzedText, SearchFilter } from './types';

/** Positional parameters collected while a statement is written. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export const DOCUMENTS = `${SEARCH_SCHEMA}.documents`;

/**
 * The filter as SQL conditions on documents (`d`). Facets leave the category out, so that the other
 * categories stay discoverable.
 */
export function filterConditions(
  filter: SearchFilter,
  params: Params,
  { category = true }: { category?: boolean } = {},
): string[] {
  const where: string[] = [];
  const slug = filter.category?.trim();
  if (category && slug) where.push(`d.category_slug = ${params.add(slug)}`);
  if (given(filter.minPrice)) where.push(`d.price_amount >= ${params.add(filter.minPrice)}`);
  if (given(filter.maxPrice)) where.push(`d.price_amount <= ${params.add(filter.maxPrice)}`);
  // a seller id that is not a UUID has no listings
  if (given(filter.sellerId)) where.push(isUuid(filter.sellerId) ? `d.seller_id = ${params.add(filter.sellerId)}` : 'false');
  if (filter.inStock) where.push('d.in_stock');
  return where;
}

/**
 * The query as PostgreSQL parsed it (see AnalyzedText.tsquery), as a constant: written as
 * websearch_to_tsquery(…), a stable function, it would be parsed again for every row a filter or a
 * recheck looks at, which costs more than the rest of the search.
 */
export function textQuery(text: AnalyzedText, params: Params): string {
  return `CAST(${params.add(text.tsquery)} AS tsquery)`;
}

/** The filter's conditions and, for a text search, the words' match: what every statement of a search shares. */
export function matchConditions(
  text: AnalyzedText | null,
  filter: SearchFilter,
  params: Params,
  options: { category?: boolean } = {},
): string[] {
  const where = filterConditions(filter, params, options);
  if (text) where.push(`d.terms @@ ${textQuery(text, params)}`);
  return where;
}

export const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

/** A statement with its parameters, to run alone or folded into another (see PageRows). */
export interface Statement {
  sql: string;
  values: unknown[];
}

/**
 * The statement's placeholders renumbered to follow `before` parameters of another: how two
 * statements written apart become one. Statements here carry every value as a parameter, never a `$`
 * in a literal, so the placeholders are all the `$n` there are.
 */
export function shiftParameters(sql: string, before: number): string {
  return sql.replace(/\$(\d+)/g, (_match, n: string) => `$${Number(n) + before}`);
}
