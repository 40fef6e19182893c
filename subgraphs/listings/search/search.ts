import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { badInput } from '../../../lib/errors';
import { isUuid } from '../../../lib/ids';
import { decodeCursor, encodeCursor, pageSize } from '../../../lib/pagination';
import type { SellerProfile } from '../seller-profiles';
import type { Dependencies, SearchCache, SearchChange } from './cache';
import { countAndRank, countedByCounters, counterStatement, searchCounts } from './counts';
import { QueryAnalyzer } from './analysis';
import { FewPairs } from './few-pairs';
import type { Replica } from './replica';
import { ORDERS, TIERS, matchesAtMost, orderedPage, relevancePage, type Hit, type KeyType } from './page';
import { PageRows, listingColumns, type ListingColumns } from './page-rows';
import type { AnalyzedText, SearchArgs, SearchCounts, SearchResult, SearchSort } from './types';

/** Bounds the work one query string can cause in the text parser. */
export const MAX_QUERY = 200;

/** How a key read back from a cursor must look before PostgreSQL is asked to cast it. */
const KEY_SHAPES: Record<KeyType | 'tier', (value: unknown) => boolean> = {
  timestamptz: (value) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value,
  integer: (value) => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1,
  float8: (value) => typeof value === 'number' && Number.isFinite(value),
  tier: (value) => (TIERS as readonly unknown[]).includes(value),
};

/**
 * The keyset position a cursor carries: the sort keys, then the id. Anything else is a forged or
 * foreign cursor, refused before it reaches SQL.
 */
function decodePosition(kind: string, after: string | null | undefined, shapes: (KeyType | 'tier')[]): unknown[] | undefined {
  const position = decodeCursor(kind, after);
  if (!position) return undefined;
  const id = position.at(-1);
  const keys = position.slice(0, -1);
  if (keys.length !== shapes.length || !keys.every((key, i) => KEY_SHAPES[shapes[i]](key)) || typeof id !== 'string' || !isUuid(id)) {
    throw badInput('after is not a cursor of this list', 'after');
  }
  return position;
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

/** The filter as it decides the answer: equal filters make equal cache keys. */
function normalisedFilter(filter: SearchArgs['filter'] & object) {
  return [filter.category?.trim() || null, filter.minPrice ?? null, filter.maxPrice ?? null, filter.sellerId ?? null, Boolean(filter.inStock)];
}

/** What can change a search's answer (see SearchCache). */
function dependencies(text: AnalyzedText | null, filter: SearchArgs['filter'] & object): Dependencies {
  if (text) return { lexemes: text.lexemes, category: null, everything: text.text.includes('-') || text.lexemes.length === 0 };
  return { lexemes: [], category: filter.category?.trim() || null, everything: false };
}

export interface SearchSettings {
  /** Where a seller nobody has reviewed stands (the reputation prior's mean). */
  priorScore: number;
  /** Counts are exact up to this many matches and a lower bound above (when no counter answers). */
  exactCountLimit: number;
  /** Below this many matches a relevance page is ordered in one pass, above it the tiers are walked (page.ts). */
  fewMatches: number;
  /** Told how long each search took to find its page (counts come later, when asked for). */
  onSearched?: (seconds: number, withText: boolean) => void;
}

/**
 * Search over the read model (`read-model.ts`). Reads go to `reader`: the primary, or a streaming
 * replica when one is configured.
 */
export class ListingSearch {
  /** How PostgreSQL reads a query, remembered by text and by word (see QueryAnalyzer). */
  private readonly analyzer: QueryAnalyzer;

  /**
   * Upper bounds of queries' matches, from the word counters. They only choose how a relevance page
   * is found (see relevancePage), never what it holds, so a minute-old bound costs at most speed.
   */
  private readonly matchBounds = new LRUCache<string, number>({ max: 10_000, ttl: 60_000 });

  /**
   * Two-word queries whose pair counter said it does not count them (not both words common). Any
   * other pair is taken to be counted: asking first would cost most two-word searches a round trip,
   * and the counter's answer says when it is not (see countedByCounters), at the cost of one more
   * statement that time. A minute-old entry costs at most speed.
   */
  private readonly uncountedPairs = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });

  /**
   * Searches seen once lately, by what they ask: the cache reads and stores only a search seen before,
   * as caches' admission policies do (TinyLFU's doorkeeper). Most distinct searches are asked once (a
   * pair of words, a price range), and each would cost a lookup and a write that nobody reads again:
   * at a million listings, two-word searches found 4 % of their pages cached, and the cache cost them
   * more than it saved.
   */
  private readonly seenOnce: LRUCache<string, true>;

  private columns?: ListingColumns;

  private readonly reader: DataSource;

  /** Pairs of common words rare together (see FewPairs): their page is found by ordering every match. */
  readonly fewPairs: FewPairs;

  constructor(
    primary: DataSource,
    private readonly settings: SearchSettings,
    /** Hot searches and listings; none when caching is off. */
    private readonly cache?: SearchCache,
    /** A streaming replica that searches read from; the primary when absent. */
    private readonly replica?: Replica,
  ) {
    this.reader = replica?.reader ?? primary;
    this.fewPairs = new FewPairs(this.reader, settings.fewMatches);
    this.analyzer = new QueryAnalyzer(this.reader);
    this.seenOnce = new LRUCache({ max: 100_000, ttl: (cache?.ttlSeconds ?? 60) * 1000 });
  }

  /** Whether the cache serves this search: it was asked before, within the cache's time to live. */
  private admitted(signature: string): SearchCache | undefined {
    if (!this.cache) return undefined;
    if (this.seenOnce.has(signature)) return this.cache;
    this.seenOnce.set(signature, true);
    this.cache.skipped();
    return undefined;
  }

  /** A change committed: cached answers it can alter are forgotten. */
  async forget(change: SearchChange): Promise<void> {
    await this.whenReplicaShowsIt(() => this.cache?.invalidate(change));
  }

  /** Ranking moved everywhere (a reputation, a rebuild): every cached search is forgotten. */
  async forgetAll(): Promise<void> {
    await this.whenReplicaShowsIt(() => this.cache?.invalidateAll());
  }

  /**
   * Forgetting before the replica shows a change would let a search on it cache the old answer anew.
   * Without a replica it happens at once (a writer then reads its own write); with one, once the
   * replica has replayed the change, in the background, so that a write does not wait on replication.
   */
  private async whenReplicaShowsIt(forget: () => Promise<void> | undefined): Promise<void> {
    if (!this.cache) return;
    if (!this.replica) return forget();
    const replica = this.replica;
    void replica
      .caughtUp()
      .then(forget)
      .catch(() => undefined); // the entries expire with their TTL
  }

  /** The sellers shown with listings, through the cache when there is one. */
  sellers(ids: string[], load: (ids: string[]) => Promise<SellerProfile[]>): Promise<SellerProfile[]> {
    return this.cache ? this.cache.sellers(ids, load) : load(ids);
  }

  /** A seller's copy changed: their cached shop name and score are forgotten (read on the primary, at once). */
  async forgetSeller(sellerId: string): Promise<void> {
    await this.cache?.invalidateSeller(sellerId);
  }

  private async matchesAtMost(text: AnalyzedText): Promise<number> {
    let bound = this.matchBounds.get(text.text);
    if (bound === undefined) this.matchBounds.set(text.text, (bound = await matchesAtMost(this.reader, text)));
    return bound;
  }

  /**
   * `counts`: whether the caller will ask for the counts; when a counter answers them, they are then
   * read in the statement that finds the page.
   */
  async search(args: SearchArgs, { counts = false }: { counts?: boolean } = {}): Promise<SearchResult> {
    const started = performance.now();
    const result = await this.findPage(args, counts);
    this.settings.onSearched?.((performance.now() - started) / 1000, Boolean(args.query?.trim()));
    return result;
  }

  private async findPage(args: SearchArgs, wantsCounts: boolean): Promise<SearchResult> {
    const query = (args.query ?? '').trim();
    if (query.length > MAX_QUERY) throw badInput(`query must be at most ${MAX_QUERY} characters`, 'query');
    const filter = args.filter ?? {};
    const sort = effectiveSort(args.sort, query);
    const size = pageSize(args.first);
    const kind = cursorKind(sort, query);
    const text = query ? await this.analyzer.analyze(query) : null;
    const after = sort === 'RELEVANCE' ? decodePosition(kind, args.after, ['tier', 'float8']) : decodePosition(kind, args.after, [ORDERS[sort].type]);
    const asked = [query, sort, normalisedFilter(filter), size, args.after ?? null];
    const cache = this.admitted(JSON.stringify(asked));
    const cached = cache ? await cache.lookUp(asked, dependencies(text, filter), { counts: wantsCounts }) : undefined;
    // Writes to the cache are not waited for: a search costs what finding it did, and a failed write
    // costs a later search, never this one. (Redis runs a connection's commands in order, so the next
    // lookup on it sees them.)
    const remember = (write: (cache: SearchCache, key: string) => Promise<void>) => {
      if (cache && cached) write(cache, cached.key).catch(() => undefined);
    };
    const bound = this.settings.exactCountLimit;
    let counted: Promise<SearchCounts> | undefined = cached?.counts && Promise.resolve(cached.counts);
    const keepCounts = (counts: SearchCounts) => {
      remember((store, key) => store.saveCounts(key, counts));
      counted = Promise.resolve(counts);
    };
    // the statements that find the page bring its listings and sellers along, and the counts when a counter has them
    const brought = new PageRows(this.reader, (this.columns ??= listingColumns(this.reader)), this.settings.priorScore);
    const pairCounted = Boolean(text?.pair) && !this.uncountedPairs.has(query);
    const findHits = async (): Promise<Hit[]> => {
      if (text?.empty) return [];
      if (wantsCounts) brought.countAlong(counterStatement(text, filter, pairCounted));
      if (sort !== 'RELEVANCE') return orderedPage(brought, text, filter, ORDERS[sort], after as [unknown, string] | undefined, size + 1);
      const relevanceAfter = after as [number, number, string] | undefined;
      // counting the matches may find the page on the way (see countAndRank); its counts are kept
      const pass = await countAndRank(this.reader, text!, filter, bound, relevanceAfter, size + 1, pairCounted);
      if (pass) keepCounts(pass.counts);
      if (pass?.page) return pass.page.hits;
      // a pair taken to be counted is of common words, each in more documents than a few, and often few together
      const matches = pairCounted ? (this.fewPairs.has(text!.pair!) ? this.settings.fewMatches : Number.POSITIVE_INFINITY) : await this.matchesAtMost(text!);
      return relevancePage(brought, text!, filter, relevanceAfter, size + 1, { matches, fewMatches: this.settings.fewMatches });
    };
    const countAll = () => searchCounts(this.reader, text, filter, bound, pairCounted && !this.uncountedPairs.has(query));

    const cachedPage = cached?.page;
    const hits = cachedPage?.hits ?? (await findHits());
    const broughtCounts = brought.counted && countedByCounters(brought.counted, filter);
    if (broughtCounts) keepCounts(broughtCounts);
    else if (brought.counted && pairCounted) this.uncountedPairs.set(query, true);
    if (!cachedPage) remember((store, key) => store.savePage(key, { hits }));
    const page = hits.slice(0, size);
    const ids = page.map((hit) => hit.id);
    // listings the page's statement did not bring (a cached page, a page found while counting) come
    // the same way, with their sellers, in one statement
    const load = async (wanted: string[]) => {
      const missing = wanted.filter((id) => !brought.listings.has(id));
      if (missing.length) await brought.query('SELECT id FROM unnest(CAST($1 AS uuid[])) AS id', [missing]);
      return wanted.flatMap((id) => brought.listings.get(id) ?? []);
    };
    // a page just found brought its listings: the listing cache is read (and filled) for cached pages
    const rows = cache && cachedPage ? await cache.listings(ids, load) : await load(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const edges = page.flatMap((hit) => {
      const node = byId.get(hit.id);
      return node ? [{ cursor: encodeCursor(kind, hit.position), node }] : [];
    });
    const counts = async () => {
      const fresh = await countAll();
      remember((store, key) => store.saveCounts(key, fresh));
      return fresh;
    };
    return {
      edges,
      pageInfo: { hasNextPage: hits.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      sellers: [...brought.sellers.values()],
      counts: () => (counted ??= counts()),
    };
  }
}
