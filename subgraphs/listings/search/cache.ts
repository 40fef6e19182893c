import { createHash, randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { CacheStore } from '../../../lib/cache/store';
import type { ListingEntity } from '../entities';
import type { SellerProfile } from '../seller-profiles';
import type { Hit } from './page';
import type { SearchCounts } from './types';

/** A page of hits as search found it; its listings are read (or cached) apart. */
export interface CachedPage {
  hits: Hit[];
}

/** A search as the cache knows it: its key, and its page and counts when they are cached. */
export interface CachedSearch {
  key: string;
  page?: CachedPage;
  counts?: SearchCounts;
}

/** What a change did to search, as the ListingChanged event tells it. */
export interface SearchChange {
  listingIds: string[];
  /** Categories of the documents that changed, before and after. */
  categories: string[];
  /** Words of the documents that changed, before and after. */
  lexemes: string[];
}

/** What a search's answer depends on, so that exactly the changes that can alter it invalidate it. */
export interface Dependencies {
  /** The words of a text query: a listing can enter or leave its matches only if it holds one of them. */
  lexemes: string[];
  /** Without text: the category filtered on, or every category. */
  category: string | null;
  /** A text query that can match listings holding none of its words (an exclusion alone). */
  everything: boolean;
}

const EPOCH = 'gen:epoch';
const ALL = 'gen:all';
const categoryGeneration = (slug: string) => `gen:cat:${slug}`;
const lexemeGeneration = (lexeme: string) => `gen:lex:${lexeme}`;
const generationOf = (kind: 'listing' | 'seller', id: string) => `gen:${kind}:${id}`;
/** Generations outlive every entry they version. */
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Hot reads of search, cached: pages and counts of identical searches, listings by id, and the
 * sellers shown with them.
 *
 * Invalidation by generations: every entry's key includes the current generation of each thing it
 * depends on (its query's words, or its category; and an epoch for ranking-wide changes), and a
 * change replaces those generations with fresh random ones, so that entries of the old ones are
 * never read again and expire. A generation is replaced only after the change committed, so an
 * answer computed before the change can only be stored under the generation it read, which is dead.
 * A listing's change invalidates searches for its words (a one-word search for a rare word survives
 * the churn of the common ones) and the browse pages of its category.
 */
export class SearchCache {
  private readonly lookups: Counter<'kind' | 'result'>;

  constructor(
    private readonly store: CacheStore,
    readonly ttlSeconds: number,
    registry: Registry,
  ) {
    this.lookups = new Counter({
      name: 'search_cache_lookups_total',
      help: 'Search cache lookups by kind (page, counts, listing, seller) and result (hit, miss; skipped: a search seen for the first time)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
  }

  /**
   * A search's key under its dependencies' current generations, and its page and (when asked for) its
   * counts as cached: two round trips to the store, found or not.
   */
  async lookUp(search: unknown, dependencies: Dependencies, { counts }: { counts: boolean }): Promise<CachedSearch> {
    const key = await this.keyOf(search, dependencies);
    const [page, known] = await this.store.getMany(counts ? [`page:${key}`, `counts:${key}`] : [`page:${key}`]);
    this.lookups.inc({ kind: 'page', result: page ? 'hit' : 'miss' });
    if (counts) this.lookups.inc({ kind: 'counts', result: known ? 'hit' : 'miss' });
    return {
      key,
      page: page ? (JSON.parse(page) as CachedPage) : undefined,
      counts: known ? (JSON.parse(known) as SearchCounts) : undefined,
    };
  }

  /** A search seen for the first time lately: neither looked up nor stored (see ListingSearch.admitted). */
  skipped(): void {
    this.lookups.inc({ kind: 'page', result: 'skipped' });
  }

  /** The key of one search under its dependencies' current generations. */
  private async keyOf(search: unknown, dependencies: Dependencies): Promise<string> {
    const names = [
      EPOCH,
      ...(dependencies.everything ? [ALL] : []),
      ...dependencies.lexemes.map(lexemeGeneration),
      ...(dependencies.lexemes.length || dependencies.everything ? [] : [dependencies.category ? categoryGeneration(dependencies.category) : ALL]),
    ];
    const generations = await this.store.getMany(names);
    return createHash('sha256')
      .update(JSON.stringify([search, generations.map((g) => g ?? '0')]))
      .digest('base64url');
  }

  async savePage(key: string, page: CachedPage): Promise<void> {
    await this.store.setMany([[`page:${key}`, JSON.stringify(page)]], this.ttlSeconds);
  }

  async saveCounts(key: string, counts: SearchCounts): Promise<void> {
    await this.store.setMany([[`counts:${key}`, JSON.stringify(counts)]], this.ttlSeconds);
  }

  /**
   * Listings by id, cached; `load` reads the ones missing from the database (and they are cached).
   * Each listing has a generation of its own, for the same reason searches do: a row read just before
   * a change must not be stored where readers after the change look.
   */
  listings(ids: string[], load: (ids: string[]) => Promise<ListingEntity[]>): Promise<ListingEntity[]> {
    return this.byId('listing', ids, load, (listing) => listing.id, reviveListing);
  }

  /** The sellers shown with listings (shop name and reputation), cached the same way under their own generations. */
  sellers(ids: string[], load: (ids: string[]) => Promise<SellerProfile[]>): Promise<SellerProfile[]> {
    return this.byId('seller', ids, load, (seller) => seller.id, (value) => JSON.parse(value) as SellerProfile);
  }

  /** After a seller's copy changed (a new score, a shop name). */
  async invalidateSeller(sellerId: string): Promise<void> {
    await this.renew([generationOf('seller', sellerId)]);
  }

  /** Rows by id, each under its own generation; `load` reads the missing ones, which are then cached. */
  private async byId<T>(
    kind: 'listing' | 'seller',
    ids: string[],
    load: (ids: string[]) => Promise<T[]>,
    idOf: (row: T) => string,
    revive: (value: string) => T,
  ): Promise<T[]> {
    const generations = await this.store.getMany(ids.map((id) => generationOf(kind, id)));
    const keys = new Map(ids.map((id, i) => [id, `${kind}:${id}:${generations[i] ?? '0'}`]));
    const cached = await this.store.getMany([...keys.values()]);
    const found: T[] = [];
    const missing: string[] = [];
    cached.forEach((value, i) => (value ? found.push(revive(value)) : missing.push(ids[i])));
    this.lookups.inc({ kind, result: 'hit' }, found.length);
    this.lookups.inc({ kind, result: 'miss' }, missing.length);
    if (missing.length) {
      const loaded = await load(missing);
      await this.store.setMany(loaded.map((row) => [keys.get(idOf(row))!, JSON.stringify(row)]), this.ttlSeconds);
      found.push(...loaded);
    }
    return found;
  }

  /** After a change committed (the ListingChanged event). */
  async invalidate(change: SearchChange): Promise<void> {
    const names = [
      ...change.listingIds.map((id) => generationOf('listing', id)),
      ...change.lexemes.map(lexemeGeneration),
      ...change.categories.map(categoryGeneration),
    ];
    if (change.categories.length) names.push(ALL);
    await this.renew(names);
  }

  /** Ranking moved everywhere (a seller's reputation, a rebuild): every cached search is dead. */
  async invalidateAll(): Promise<void> {
    await this.renew([EPOCH]);
  }

  private async renew(names: string[]): Promise<void> {
    const fresh = randomBytes(6).toString('base64url');
    await this.store.setMany(names.map((name) => [name, fresh]), GENERATION_TTL_SECONDS);
  }
}

/** Dates travel as ISO strings in the cache; entities carry Dates. */
function reviveListing(value: string): ListingEntity {
  const listing = JSON.parse(value) as ListingEntity;
  listing.createdAt = new Date(listing.createdAt);
  listing.updatedAt = new Date(listing.updatedAt);
  return listing;
}
