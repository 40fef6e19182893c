import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { badInput, conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { integerInRange } from '../../lib/validation';
import { KnownOrderEntity, ReviewEntity } from './entities';
import { REVIEWABLE } from './known-orders';
import { ratingCounts, type ReputationLoaders } from './loaders';
import { summarise, type ReputationPrior } from './reputation';

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
        // One review of a seller at a time: each SellerReputationChanged then counts every review
        // committed before it, and its `at` (read under the lock) orders the seller's events.
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`reputation:${order.sellerId}`]);
        const reviews = manager.getRepository(ReviewEntity);
        if (await reviews.existsBy({ orderId })) throw conflict('This order has been reviewed already');
        const saved = await reviews.save(reviews.create({ orderId, sellerId: order.sellerId, authorId: viewer.userId, rating, body }));

        const counts = await ratingCounts(manager, [order.sellerId]);
        const summary = summarise(counts.get(order.sellerId)!, this.prior);
        // microseconds, so that two changes of one seller never share an instant
        const [{ at }]: { at: string }[] = await manager.query(
          `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
        );
        await recordEvent(manager, 'reputation', 'ReviewPosted', {
          reviewId: saved.id,
          orderId,
          sellerId: order.sellerId,
          authorId: viewer.userId,
          rating,
          at,
        });
        await recordEvent(manager, 'reputation', 'SellerReputationChanged', {
          sellerId: order.sellerId,
          score: summary.score,
          reviewCount: summary.reviewCount,
          at,
        });
        return saved;
      });
    } catch (error) {
      if (isUniqueViolation(error, ONE_PER_ORDER)) throw conflict('This order has been reviewed already');
      throw error;
    }
    this.outbox.wake();
    return review;
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
