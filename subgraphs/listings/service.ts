import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { newestFirst } from '../../lib/db/newest-first';
import type { Connection } from '../../lib/pagination';
import { amountIn, given, integerInRange, requiredText } from '../../lib/validation';
import { CategoryEntity, ListingEntity, type Fulfillment } from './entities';
import { removeListing } from './removals';
import { reportListing, type ReportReason } from './reports';
import { reserveStock, type ReservationResult, type ReserveInput } from './reservations';
import { refuseSuspended } from './seller-standing';
import type { SearchChange } from './search/cache';
import type { SearchProjection } from './search/projection';
import type { ListingSearch } from './search/search';
import type { SearchArgs, SearchResult } from './search/types';

/** A seller as this subgraph knows it: a key that accounts and reputation resolve. */
export interface SellerRef {
  id: string;
}

export interface MoneyInput {
  amount: number;
  currency: string;
}
export interface CreateListingInput {
  title: string;
  description: string;
  price: MoneyInput;
  category: string;
  stock: number;
  lowStockThreshold?: number | null;
  fulfillment?: Fulfillment | null;
}
/** Absent and null fields stay as they are. */
export interface UpdateListingInput {
  title?: string | null;
  description?: string | null;
  price?: MoneyInput | null;
  category?: string | null;
  stock?: number | null;
  lowStockThreshold?: number | null;
  fulfillment?: Fulfillment | null;
}

type Seller = NonNullable<Viewer['seller']>;
type Changes = Partial<
  Pick<ListingEntity, 'title' | 'description' | 'priceAmount' | 'currency' | 'categorySlug' | 'stock' | 'lowStockThreshold' | 'status' | 'fulfillment'>
>;

const MAX_TITLE = 200;
const MAX_DESCRIPTION = 5000;
/** One million in major units of a two-decimal currency: beyond it, a typo is likelier than a price. */
const MAX_PRICE = 100_000_000;
const MAX_STOCK = 1_000_000;
/** A handful left: enough warning to restock before a listing sells out. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 3;

/**
 * @requiresScopes checks the scope only. A token of an external OIDC issuer may grant the seller
 * scope without the seller claim, and the claim is where the shop's id and currency travel.
 */
function sellerOf(viewer: Viewer): Seller {
  if (!viewer.seller) throw forbidden('Only sellers can manage listings');
  return viewer.seller;
}


function visibleTo(viewer: Viewer | null, listing: ListingEntity): boolean {
  return listing.status === 'ACTIVE' || viewer?.seller?.id === listing.sellerId;
}

function price(input: MoneyInput, seller: Seller): Pick<ListingEntity, 'priceAmount' | 'currency'> {
  return { priceAmount: amountIn(seller.currency, input, 'price', { min: 1, max: MAX_PRICE }), currency: seller.currency };
}

export class ListingsService {
  constructor(
    private readonly db: DataSource,
    private readonly searchIndex: ListingSearch,
    /** Keeps search's documents in step with every change, in the change's transaction. */
    private readonly projection: SearchProjection,
    /** Wakes the outbox relay after a transaction that recorded events. */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  async reserveStock(input: ReserveInput): Promise<ReservationResult> {
    const { change, ...reserved } = await reserveStock(this.db, this.projection, input);
    if (change) await this.committed(change);
    return reserved;
  }

  /**
   * After a change committed: its ListingChanged event leaves now, and this instance forgets what it
   * cached at once, so that the writer reads its own write (others learn it from the event).
   */
  private async committed(change: SearchChange): Promise<void> {
    this.afterCommit();
    await this.searchIndex.forget(change);
  }

  search(args: SearchArgs, options?: { counts?: boolean }): Promise<SearchResult> {
    return this.searchIndex.search(args, options);
  }

  async getListing(viewer: Viewer | null, id: string): Promise<ListingEntity | null> {
    if (!isUuid(id)) return null;
    const listing = await this.db.getRepository(ListingEntity).findOneBy({ id });
    return listing && visibleTo(viewer, listing) ? listing : null;
  }

  sellerListings(
    viewer: Viewer | null,
    sellerId: string,
    first?: number | null,
    after?: string | null,
  ): Promise<Connection<ListingEntity>> {
    const visible = () => {
      const qb = this.db.getRepository(ListingEntity).createQueryBuilder('l').where('l.seller_id = :sellerId', { sellerId });
      // a seller id that is not a UUID has no listings
      if (!isUuid(sellerId)) return qb.andWhere('false');
      return viewer?.seller?.id === sellerId ? qb : qb.andWhere(`l.status = 'ACTIVE'`);
    };
    // one seller's cursor is refused by another seller's list
    return newestFirst(visible, `seller:${sellerId}`, first, after);
  }

  async createListing(viewer: Viewer, input: CreateListingInput): Promise<ListingEntity> {
    const seller = sellerOf(viewer);
    await refuseSuspended(this.db, seller.id);
    const title = requiredText(input.title, 'title', { max: MAX_TITLE });
    const description = requiredText(input.description, 'description', { max: MAX_DESCRIPTION });
    const { priceAmount, currency } = price(input.price, seller);
    const stock = integerInRange(input.stock, 'stock', { min: 0, max: MAX_STOCK });
    const lowStockThreshold = given(input.lowStockThreshold)
      ? integerInRange(input.lowStockThreshold, 'lowStockThreshold', { min: 0, max: MAX_STOCK })
      : DEFAULT_LOW_STOCK_THRESHOLD;
    const categorySlug = await this.existingCategory(input.category);
    const listings = this.db.getRepository(ListingEntity);
    return listings.save(
      listings.create({
        sellerId: seller.id,
        title,
        description,
        priceAmount,
        currency,
        categorySlug,
        stock,
        lowStockThreshold,
        fulfillment: input.fulfillment ?? 'SHIPPING',
        status: 'DRAFT',
      }),
    );
  }

  async updateListing(viewer: Viewer, id: string, input: UpdateListingInput): Promise<ListingEntity> {
    const seller = sellerOf(viewer);
    // every field is checked before anything is written, so that bad input changes nothing
    const changes: Changes = {};
    if (given(input.title)) changes.title = requiredText(input.title, 'title', { max: MAX_TITLE });
    if (given(input.description)) changes.description = requiredText(input.description, 'description', { max: MAX_DESCRIPTION });
    if (given(input.price)) Object.assign(changes, price(input.price, seller));
    if (given(input.stock)) changes.stock = integerInRange(input.stock, 'stock', { min: 0, max: MAX_STOCK });
    if (given(input.lowStockThreshold)) {
      changes.lowStockThreshold = integerInRange(input.lowStockThreshold, 'lowStockThreshold', { min: 0, max: MAX_STOCK });
    }
    if (given(input.category)) changes.categorySlug = await this.existingCategory(input.category);
    if (given(input.fulfillment)) changes.fulfillment = input.fulfillment;
    return this.change(seller, id, (listing) => {
      if (listing.status === 'ARCHIVED') throw conflict('An archived listing cannot be edited; publish it again first');
      return changes;
    });
  }

  /**
   * Idempotent: publishing an ACTIVE listing changes nothing. A suspended seller cannot publish
   * (FORBIDDEN); were it to slip past this check, search and checkout still leave the listing out.
   */
  async publishListing(viewer: Viewer, id: string): Promise<ListingEntity> {
    const seller = sellerOf(viewer);
    await refuseSuspended(this.db, seller.id);
    return this.change(seller, id, (listing) => (listing.status === 'ACTIVE' ? {} : { status: 'ACTIVE' }));
  }

  /** Idempotent. The row stays, since orders refer to it. */
  archiveListing(viewer: Viewer, id: string): Promise<ListingEntity> {
    return this.change(sellerOf(viewer), id, (listing) => (listing.status === 'ARCHIVED' ? {} : { status: 'ARCHIVED' }));
  }

  /** Any signed-in user, once per listing (reports.ts). */
  reportListing(viewer: Viewer, input: { listingId: string; reason: ReportReason; details?: string | null }): Promise<void> {
    return reportListing(this.db, viewer, input);
  }

  /** Operators only (removals.ts). */
  async removeListing(viewer: Viewer, id: string, reason: string): Promise<ListingEntity> {
    const { listing, change } = await removeListing(this.db, this.projection, viewer, id, reason);
    await this.committed(change);
    return listing;
  }

  private async existingCategory(slug: string): Promise<string> {
    const trimmed = slug.trim();
    if (!(await this.db.getRepository(CategoryEntity).existsBy({ slug: trimmed }))) {
      throw badInput('category must be one of the slugs that categories lists', 'category');
    }
    return trimmed;
  }

  /**
   * Applies what `decide` returns to the seller's own listing. The row lock orders this change after
   * concurrent ones (another edit, a stock reservation), so `decide` sees the status it acts on.
   */
  private async change(seller: Seller, id: string, decide: (listing: ListingEntity) => Changes): Promise<ListingEntity> {
    if (!isUuid(id)) throw notFound('Listing');
    let change: SearchChange | undefined;
    const changed = await this.db.transaction(async (tx) => {
      const listings = tx.getRepository(ListingEntity);
      const listing = await listings.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!listing) throw notFound('Listing');
      if (listing.sellerId !== seller.id) throw forbidden('Only the seller of this listing can change it');
      // operators took it down for good: not the seller's to edit, publish or archive any more
      if (listing.status === 'REMOVED') throw conflict('This listing was removed by the marketplace’s operators and cannot be changed');
      const changes = decide(listing);
      if (Object.keys(changes).length === 0) return listing;
      await listings.update({ id }, changes);
      change = await this.projection.listings(tx, [id]);
      return listings.findOneByOrFail({ id });
    });
    if (change) await this.committed(change);
    return changed;
  }
}
