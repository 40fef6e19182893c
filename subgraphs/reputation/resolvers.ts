import { DateTime } from '../../lib/scalars';
import type { Resolvers } from './generated/resolvers-types';
import { personalData } from './privacy';

// @authenticated and @requiresScopes in the SDL guarantee a viewer where `viewer!` is written;
// the services check roles again where the data is.
export const resolvers: Resolvers = {
  Query: {
    reputationPersonalData: async (_root, { userId, sellerId }, { db }) => JSON.stringify(await personalData(db, userId, sellerId ?? null)),
    moderationQueue: (_root, { first, after }, { moderation, viewer }) => moderation.queue(viewer!, first, after),
  },
  DateTime,
  Mutation: {
    createReview: (_root, { input }, { reviews, viewer }) => reviews.createReview(viewer!, input),
    replyToReview: (_root, { reviewId, body }, { reviews, viewer }) => reviews.replyToReview(viewer!, reviewId, body),
    reportReview: (_root, { reviewId, reason, details }, { reports, viewer }) => reports.reportReview(viewer!, reviewId, reason, details),
    moderateReview: (_root, { reviewId, decision, note }, { moderation, viewer }) => moderation.moderateReview(viewer!, reviewId, decision, note),
    dismissListingReports: (_root, { listingId, note }, { moderation, viewer }) => moderation.dismissListingReports(viewer!, listingId, note),
  },
  Review: {
    __resolveReference: ({ id }, { loaders }) => loaders.review.load(id),
    // accounts resolves the user, the seller's other fields and the order's come from their subgraphs
    author: (review) => ({ id: review.authorId }),
    seller: (review) => ({ id: review.sellerId }),
    order: (review) => ({ id: review.orderId }),
    reply: (review) => (review.replyBody !== null && review.repliedAt ? { body: review.replyBody, at: review.repliedAt } : null),
  },
  ModerationItem: {
    review: (item, _args, { loaders }) => (item.subjectType === 'REVIEW' ? loaders.review.load(item.subjectId) : null),
    // listings resolves the listing's title
    listing: (item) => (item.subjectType === 'LISTING' ? { id: item.subjectId } : null),
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
