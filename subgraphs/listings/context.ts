import type DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { loaderByKey } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { CategoryEntity, ListingEntity } from './entities';
import type { InternalClient } from '../../lib/server/internal-client';
import { sellerProfileLoader, type ProfileSource, type SellerProfile } from './seller-profiles';
import type { ListingsService } from './service';

export interface ListingsLoaders {
  listing: DataLoader<string, ListingEntity | null>;
  category: DataLoader<string, CategoryEntity | null>;
  /** The whole taxonomy in its order, read at most once per request. */
  categories(): Promise<CategoryEntity[]>;
  /** The shop name and reputation served with a listing's seller, from listings' copies. */
  sellerProfile: DataLoader<string, SellerProfile>;
  /**
   * Sellers this request has read already (a search page brings its sellers along): their fields
   * resolve at once, without a promise per field and the promise per listing that these make.
   */
  knownSeller(id: string): SellerProfile | undefined;
  knowSellers(profiles: SellerProfile[]): void;
}

export interface ListingsContext {
  viewer: Viewer | null;
  /** For what reads the database directly (accounts' internal questions about a user). */
  db: DataSource;
  listings: ListingsService;
  loaders: ListingsLoaders;
}

export function listingsLoaders(db: DataSource, sellers: { accounts: InternalClient; priorScore: number; through?: ProfileSource }): ListingsLoaders {
  const listings = db.getRepository(ListingEntity);
  let taxonomy: Promise<CategoryEntity[]> | undefined;
  // a handful of rows: reading them all serves every category of the request in one statement
  const categories = () => (taxonomy ??= db.getRepository(CategoryEntity).find({ order: { position: 'ASC' } }));
  const known = new Map<string, SellerProfile>();
  return {
    listing: loaderByKey((ids) => listings.findBy({ id: In(validIds(ids)) }), (l) => l.id),
    category: loaderByKey(() => categories(), (c) => c.slug),
    categories,
    sellerProfile: sellerProfileLoader(db, sellers.accounts, sellers.priorScore, sellers.through),
    knownSeller: (id) => known.get(id),
    knowSellers(profiles) {
      for (const profile of profiles) known.set(profile.id, profile);
    },
  };
}
