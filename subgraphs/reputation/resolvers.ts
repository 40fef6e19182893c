import { DateTime } from '../../lib/scalars';
import type { Resolvers } from './generated/resolvers-types';
import { personalData } from './privacy';

export const resolvers: Resolvers = {
  Query: {
    reputationPersonalData: async (_root, { userId, sellerId }, { db }) => JSON.stringify(await personalData(db, userId, sellerId ?? null)),
  },
  DateTime,
  Mutation: {
    // @authenticated in the SDL guarantees a viewer here
    createReview: (_root, { input }, { reviews, viewer }) => reviews.createReview(viewer!, input),
  },
  Review: {
    __resolveReference: ({ id }, { loaders }) => loaders.review.load(id),
    // accounts resolves the user, the seller's other fields and the order's come from their subgraphs
    author: (review) => ({ id: review.authorId }),
    seller: (review) => ({ id: review.sellerId }),
    order: (review) => ({ id: review.orderId }),
  },
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    reputation: (seller, _args, { loaders }) => loaders.reputation.load(seller.id),
    reviews: (seller, { first, after }, { reviews, loaders }) => reviews.sellerReviews(loaders, seller.id, first, after),
  },
  Order: {
    __resolveReference: ({ id }) => ({ id }),
    review: (order, _args, { loaders }) => loaders.reviewOfOrder.load(order.id),
  },
};
