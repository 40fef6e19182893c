import { createHash } from 'node:crypto';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { badInput } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { decodeCursor, encodeCursor, pageSize, type Edge } from '../../lib/pagination';
import { ListingEntity, SellerReputationEntity } from './entities';

export type SearchSort = 'RELEVANCE' | 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC' | 'RATING';

export interface SearchFilter {
  category?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  sellerId?: string | null;
  inStock?: boolean | null;
}

export interface SearchArgs {
  query?: string | null;
  filter?: SearchFilter | null;
  sort?: SearchSort | null;
  first?: number | null;
  after?: string | null;
}

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * One page of a search. The counts cost a statement of their own, so they are functions that run it
 * only when a client selects them (and at most once per page).
 */
export interface SearchResult {
  edges: Edge<ListingEntity>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount(): Promise<number>;
  categoryFacets(): Promise<FacetCount[]>;
}

/** Bounds the work one query string can cause in the text parser. */
const MAX_QUERY = 200;

type KeyType = 'timestamptz' | 'integer' | 'float8';

/** How a key read back from a cursor must look before PostgreSQL is asked to cast it. */
const KEY_SHAPES: Record<KeyType, (value: unknown) => boolean> = {
  timestamptz: (value) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value,
  integer: (value) => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1,
  float8: (value) => typeof value === 'number' && Number.isFinite(value),
};

interface Order {
  /** SQL of the sort key; the id breaks ties in the same direction. */
  key: string;
  type: KeyType;
  direction: 'ASC' | 'DESC';
  /** Whether the key reads the seller_reputation table (joined as r). */
  reputation: boolean;
}

/**
 * The reputation nudge stays mild (a score of 5 multiplies the rank by 1.5), so text relevance decides.
 * ts_rank_cd answers a real; as a float8 the key is a double, which a cursor's JSON carries back exactly.
 */
const RANK = `CAST(
  ts_rank_cd(l.search, websearch_to_tsquery('english', :text)) * (1 + coalesce(r.score, :priorScore) / 10) AS float8
)`;

/** Keys name columns as the table does: TypeORM would take a property path given to addSelect away from the entity. */
const ORDERS: Record<SearchSort, Order> = {
  RELEVANCE: { key: RANK, type: 'float8', direction: 'DESC', reputation: true },
  NEWEST: { key: 'l.created_at', type: 'timestamptz', direction: 'DESC', reputation: false },
  PRICE_ASC: { key: 'l.price_amount', type: 'integer', direction: 'ASC', reputation: false },
  PRICE_DESC: { key: 'l.price_amount', type: 'integer', direction: 'DESC', reputation: false },
  // a seller nobody has reviewed yet stands at the reputation prior, as the reputation subgraph scores it
  RATING: { key: 'CAST(coalesce(r.score, :priorScore) AS float8)', type: 'float8', direction: 'DESC', reputation: true },
};

/**
 * The keyset position a cursor carries: [sort key, id]. Anything else is a forged or foreign cursor,
 * refused before it reaches SQL.
 */
function decodePosition(
  kind: string,
  after: string | null | undefined,
  type: KeyType,
): [unknown, string] | undefined {
  const position = decodeCursor(kind, after);
  if (!position) return undefined;
  const [key, id] = position;
  if (position.length !== 2 || !KEY_SHAPES[type](key) || typeof id !== 'string' || !isUuid(id)) {
    throw badInput('after is not a cursor of this list', 'after');
  }
  return [key, id];
}

/** Rank means nothing without a query, so RELEVANCE then falls back to NEWEST. */
function effectiveSort(sort: SearchSort | null | undefined, text: string): SearchSort {
  if (!sort) return text ? 'RELEVANCE' : 'NEWEST';
  return sort === 'RELEVANCE' && !text ? 'NEWEST' : sort;
}

/** Positions are only comparable within one sort of one query; the kind tags cursors with both. */
function cursorKind(sort: SearchSort, text: string): string {
  return `listings:${sort}:${createHash('sha256').update(text).digest('base64url').slice(0, 12)}`;
}

/** ACTIVE listings matching the text and the filters; facets leave out the category filter. */
function matching(
  db: DataSource,
  text: string,
  filter: SearchFilter,
  { byCategory }: { byCategory: boolean },
): SelectQueryBuilder<ListingEntity> {
  const qb = db.getRepository(ListingEntity).createQueryBuilder('l').where(`l.status = 'ACTIVE'`);
  if (text) qb.andWhere(`l.search @@ websearch_to_tsquery('english', :text)`, { text });
  const category = filter.category?.trim();
  if (byCategory && category) qb.andWhere('l.category_slug = :category', { category });
  if (filter.minPrice !== null && filter.minPrice !== undefined) {
    qb.andWhere('l.price_amount >= :minPrice', { minPrice: filter.minPrice });
  }
  if (filter.maxPrice !== null && filter.maxPrice !== undefined) {
    qb.andWhere('l.price_amount <= :maxPrice', { maxPrice: filter.maxPrice });
  }
  if (filter.sellerId !== null && filter.sellerId !== undefined) {
    // a seller id that is not a UUID has no listings
    qb.andWhere(isUuid(filter.sellerId) ? 'l.seller_id = :sellerId' : 'false', { sellerId: filter.sellerId });
  }
  if (filter.inStock) qb.andWhere('l.stock > 0');
  return qb;
}

export async function searchListings(db: DataSource, args: SearchArgs, priorScore: number): Promise<SearchResult> {
  const text = (args.query ?? '').trim();
  if (text.length > MAX_QUERY) throw badInput(`query must be at most ${MAX_QUERY} characters`, 'query');
  const filter = args.filter ?? {};
  const sort = effectiveSort(args.sort, text);
  const order = ORDERS[sort];
  const size = pageSize(args.first);
  const kind = cursorKind(sort, text);
  const after = decodePosition(kind, args.after, order.type);

  const page = matching(db, text, filter, { byCategory: true }).addSelect(order.key, 'sort_key');
  if (order.reputation) page.leftJoin(SellerReputationEntity, 'r', 'r.seller_id = l.seller_id').setParameter('priorScore', priorScore);
  if (after) {
    const beyond = order.direction === 'DESC' ? '<' : '>';
    page.andWhere(`(${order.key}, l.id) ${beyond} (CAST(:afterKey AS ${order.type}), CAST(:afterId AS uuid))`, {
      afterKey: after[0],
      afterId: after[1],
    });
  }
  page
    .orderBy('sort_key', order.direction)
    .addOrderBy('l.id', order.direction)
    .limit(size + 1); // one more row than the page tells whether a next page exists
  const { entities, raw } = await page.getRawAndEntities<{ l_id: string; sort_key: unknown }>();
  const keyOf = new Map(raw.map((row) => [row.l_id, row.sort_key]));
  const edges = entities.slice(0, size).map((node) => ({ cursor: encodeCursor(kind, [keyOf.get(node.id), node.id]), node }));

  // One grouped count answers both: every listing has exactly one category, so the total is the chosen
  // category's facet, or the sum of all facets when no category is chosen.
  let counted: Promise<FacetCount[]> | undefined;
  const categoryFacets = () =>
    (counted ??= matching(db, text, filter, { byCategory: false })
      .select('l.category_slug', 'value')
      .addSelect('CAST(count(*) AS integer)', 'count')
      .groupBy('l.category_slug')
      .orderBy('count', 'DESC')
      .addOrderBy('value', 'ASC')
      .getRawMany<FacetCount>());
  const category = filter.category?.trim();
  return {
    edges,
    pageInfo: { hasNextPage: entities.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    categoryFacets,
    async totalCount() {
      const facets = await categoryFacets();
      if (category) return facets.find((facet) => facet.value === category)?.count ?? 0;
      return facets.reduce((sum, facet) => sum + facet.count, 0);
    },
  };
}
