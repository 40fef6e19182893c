import { requireOperator } from '../../lib/auth/operators';
import type { Viewer } from '../../lib/auth/viewer';
import { forbidden } from '../../lib/errors';
import type { ReviewEntity } from './entities';

/**
 * Who may do what with reviews. Writing one is the order's buyer's (checked against the orders read
 * model in service.ts); reporting one is any signed-in user's (@authenticated in the SDL).
 */

/** Only the shop that was reviewed answers a review. */
export function requireReviewedSeller(viewer: Viewer, review: ReviewEntity): void {
  if (viewer.seller?.id !== review.sellerId) throw forbidden('Only the seller of the reviewed order can reply to this review');
}

/** Moderation (the queue, decisions on reviews, dismissing listings' reports) is the operators'. */
export const requireModerator = requireOperator;
