import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { integerInRange, requiredText } from '../../lib/validation';
import { requireReviewedSeller } from './access';
import type { SignalConfig } from './config';
import { KnownOrderEntity, ReviewEntity } from './entities';
import { REVIEWABLE } from './known-orders';
import type { ReputationLoaders } from './loaders';
import { hold } from './queue';
import type { ReputationPrior } from './reputation';
import { lockedNow, lockReviews, publishScores } from './scores';
import { firedSignals } from './signals';

export interface CreateReviewInput {
  orderId: string;
  rating: number;
  body: string;
}

export const MAX_BODY = 2000;

/** The constraint that keeps one review per order, whatever races the checks before it lose. */
const ONE_PER_ORDER = 'reviews_order_id_key';

export class ReviewsService {
  constructor(
    private readonly db: DataSource,
    private readonly outbox: OutboxRelay,
    private readonly prior: ReputationPrior,
    private readonly signals: SignalConfig,
  ) {}

  /**
   * The order's buyer reviews it once it is delivered. What reputation knows of orders comes from
   * their events: an order it has not heard of yet (the events lag orders by moments) is treated as
   * not delivered yet, CONFLICT, since the buyer may well be right that it exists; only an id that
   * can never be an order is NOT_FOUND.
   */
  async createReview(viewer: Viewer, input: CreateReviewInput): Promise<ReviewEntity> {
    // every field is checked before anything is read or written, so that bad input changes nothing
    const rating = integerInRange(input.rating, 'rating', { min: 1, max: 5 });
    const body = input.body.trim();
    if (body.length > MAX_BODY) throw badInput(`body must be at most ${MAX_BODY} characters`, 'body');
    if (!isUuid(input.orderId)) throw notFound('Order');
    const orderId = input.orderId;

    let review: ReviewEntity;
    try {
      review = await this.db.transaction(async (manager) => {
        const order = await manager.getRepository(KnownOrderEntity).findOneBy({ id: orderId });
        if (!order) throw conflict('This order cannot be reviewed yet: it has not been delivered');
        if (order.buyerId !== viewer.userId) throw forbidden('Only the buyer of this order can review it');
        if (!REVIEWABLE.has(order.status)) {
          throw conflict(`An order that is ${order.status} cannot be reviewed; reviews open once it is delivered`);
        }
        await lockReviews(manager);
        const reviews = manager.getRepository(ReviewEntity);
        if (await reviews.existsBy({ orderId })) throw conflict('This order has been reviewed already');
        const saved = await reviews.save(reviews.create({ orderId, sellerId: order.sellerId, authorId: viewer.userId, rating, body }));

        // the fake-review signals: each one that fires holds its whole pattern, this review included
        // (whose scores change: the sellers of earlier reviews it holds, and this one's if it stays published)
        const changed = new Set<string>();
        for (const signal of await firedSignals(manager, saved, this.signals)) {
          for (const held of await hold(manager, signal)) if (held.id !== saved.id) changed.add(held.sellerId);
        }
        const stored = await reviews.findOneByOrFail({ id: saved.id });
        const at = await lockedNow(manager);
        // a held review reaches its seller once an operator approves it (moderation.ts)
        if (stored.status === 'PUBLISHED') {
          await recordEvent(manager, 'reputation', 'ReviewPosted', { reviewId: saved.id, orderId, sellerId: order.sellerId, authorId: viewer.userId, rating, at });
          changed.add(order.sellerId);
        }
        await publishScores(manager, this.prior, changed, at);
        return stored;
      });
    } catch (error) {
      if (isUniqueViolation(error, ONE_PER_ORDER)) throw conflict('This order has been reviewed already');
      throw error;
    }
    this.outbox.wake();
    return review;
  }

  /** The seller of the reviewed order answers it, once; a removed review takes no answer. */
  async replyToReview(viewer: Viewer, reviewId: string, text: string): Promise<ReviewEntity> {
    const body = requiredText(text, 'body', { max: MAX_BODY });
    if (!isUuid(reviewId)) throw notFound('Review');
    return this.db.transaction(async (manager) => {
      const reviews = manager.getRepository(ReviewEntity);
      const review = await reviews.findOne({ where: { id: reviewId }, lock: { mode: 'pessimistic_write' } });
      if (!review) throw notFound('Review');
      requireReviewedSeller(viewer, review);
      if (review.status === 'REMOVED') throw conflict('This review was removed by the marketplace and cannot be answered');
      if (review.replyBody !== null) throw conflict('This review has been answered already; a review takes one reply');
      review.replyBody = body;
      review.repliedAt = new Date();
      return reviews.save(review);
    });
  }

  /** Newest first. totalCount is the seller's review count, read by the batched reputation loader. */
  async sellerReviews(
    loaders: ReputationLoaders,
    sellerId: string,
    first?: number | null,
    after?: string | null,
  ): Promise<Connection<ReviewEntity>> {
    const size = pageSize(first);
    // one seller's cursor is refused by another seller's list
    const kind = `reviews:${sellerId}`;
    const position = decodeTimeIdCursor(kind, after);
    const [rows, summary] = await Promise.all([
      loaders.reviewPage.load({ sellerId, limit: size + 1, after: position }),
      loaders.reputation.load(sellerId),
    ]);
    return toConnection(rows, size, summary.reviewCount, (r) => encodeTimeIdCursor(kind, r));
  }
}
