import type { Edge } from '../../../lib/pagination';
import type { ListingEntity } from '../entities';
import type { SellerProfile } from '../seller-profiles';

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

/** The counts of a search: exact, or a lower bound when counting every match would cost too much. */
export interface SearchCounts {
  total: number;
  exact: boolean;
  /** Per category, with every filter but the category; over a bounded set of matches when `exact` is false. */
  facets: FacetCount[];
}

/**
 * One page of a search. The counts cost statements of their own, so they run only when a client
 * selects them (and at most once per page).
 */
export interface SearchResult {
  edges: Edge<ListingEntity>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** The sellers of the page's listings, when the statement that found the page read them too. */
  sellers: SellerProfile[];
  counts(): Promise<SearchCounts>;
}

/** How a text query reads once PostgreSQL's parser has seen it. */
export interface AnalyzedText {
  text: string;
  /** The query holds no searchable word (only stop words or punctuation): nothing matches. */
  empty: boolean;
  /** The one word of a one-word query, as stemmed; its counts are kept per category. */
  singleLexeme: string | null;
  /** The two words of a query asking for both (`a b`), as stemmed; counted per category when both are common. */
  pair: [string, string] | null;
  /** Every word of the query, as stemmed. */
  lexemes: string[];
  /** The query as `websearch_to_tsquery('english', text)` parses it, in tsquery's text form. */
  tsquery: string;
}
