import { moneyField } from '../../lib/money';
import { DateTime } from '../../lib/scalars';
import { selectsAnyOf } from '../../lib/selection';
import type { Resolvers } from './generated/resolvers-types';
import { personalData } from './privacy';

/** The fields of a search that need its counts. */
const COUNTED_FIELDS = ['totalCount', 'totalCountIsExact', 'facets'];

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    listingsPersonalData: async (_root, { userId, sellerId }, { db }) => JSON.stringify(await personalData(db, userId, sellerId ?? null)),
    listings: async (_root, args, { listings, loaders }, info) => {
      const result = await listings.search(args, { counts: selectsAnyOf(info, COUNTED_FIELDS) });
      loaders.knowSellers(result.sellers);
      return result;
    },
    listing: (_root, { id }, { listings, viewer }) => listings.getListing(viewer, id),
    categories: (_root, _args, { loaders }) => loaders.categories(),
  },
  Mutation: {
    // @requiresScopes in the SDL guarantees a viewer here
    createListing: (_root, { input }, { listings, viewer }) => listings.createListing(viewer!, input),
    updateListing: (_root, { id, input }, { listings, viewer }) => listings.updateListing(viewer!, id, input),
    publishListing: (_root, { id }, { listings, viewer }) => listings.publishListing(viewer!, id),
    archiveListing: (_root, { id }, { listings, viewer }) => listings.archiveListing(viewer!, id),
    // @authenticated in the SDL guarantees a viewer here
    reportListing: async (_root, { listingId, reason, details }, { listings, viewer }) => {
      await listings.reportListing(viewer!, { listingId, reason, details });
      return true;
    },
    // @requiresScopes(operator) in the SDL; the service checks the operator again
    removeListing: (_root, { id, reason }, { listings, viewer }) => listings.removeListing(viewer!, id, reason),
    // internal: @requiresScopes(internal) lets only other subgraphs call it
    reserveStock: (_root, { input }, { listings }) => listings.reserveStock(input),
  },
  ListingSearchConnection: {
    totalCount: async (result) => (await result.counts()).total,
    totalCountIsExact: async (result) => (await result.counts()).exact,
    facets: (result) => result,
  },
  ListingFacets: {
    categories: async (result) => (await result.counts()).facets,
  },
  Category: {
    // other subgraphs name categories by slug (payments' commission rates)
    __resolveReference: ({ slug }, { loaders }) => loaders.category.load(slug),
  },
  Listing: {
    // any status: orders keep referring to listings their sellers archived since
    __resolveReference: ({ id }, { loaders }) => loaders.listing.load(id),
    price: (listing) => moneyField({ amount: listing.priceAmount, currency: listing.currency }),
    // the foreign key guarantees the category
    category: async (listing, _args, { loaders }) => (await loaders.category.load(listing.categorySlug))!,
    seller: (listing) => ({ id: listing.sellerId }),
  },
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    // only under Listing.seller (@provides): the router asks accounts and reputation everywhere else
    shopName: (seller, _args, { loaders }) =>
      loaders.knownSeller(seller.id)?.shopName ?? loaders.sellerProfile.load(seller.id).then((profile) => profile.shopName),
    reputation: (seller, _args, { loaders }) =>
      loaders.knownSeller(seller.id)?.reputation ?? loaders.sellerProfile.load(seller.id).then((profile) => profile.reputation),
    listings: (seller, { first, after }, { listings, viewer }) => listings.sellerListings(viewer, seller.id, first, after),
  },
};
