import DataLoader from 'dataloader';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { loaderByKey } from '../../lib/dataloader';
import { validIds } from '../../lib/ids';
import { ReviewEntity } from './entities';
import { summarise, type RatingCounts, type ReputationPrior, type ReputationSummary } from './reputation';

/** One page of one seller's reviews: what Seller.reviews asks the page loader for. */
export interface ReviewPageKey {
  sellerId: string;
  /** Rows wanted: the page size plus one, which tells whether a next page exists. */
  limit: number;
  /** The keyset position after which the page starts; null for the first page. */
  after: { createdAt: string; id: string } | null;
}

export interface ReputationLoaders {
  reputation: DataLoader<string, ReputationSummary>;
  review: DataLoader<string, ReviewEntity | null>;
  reviewOfOrder: DataLoader<string, ReviewEntity | null>;
  reviewPage: DataLoader<ReviewPageKey, ReviewEntity[], string>;
}

const emptyCounts = (): RatingCounts => ({ counts: [0, 0, 0, 0, 0] });

/**
 * Every given seller's rating counts, of published reviews only (held and removed ones do not count) in one grouped query. Takes a manager too, so that a review
 * being written can count itself inside its own transaction.
 */
export async function ratingCounts(db: DataSource | EntityManager, sellerIds: readonly string[]): Promise<Map<string, RatingCounts>> {
  const ids = validIds(sellerIds);
  const rows: { seller_id: string; rating: number; count: string }[] = ids.length
    ? await db.query(
        `SELECT seller_id, rating, count(*) AS count FROM reviews
         WHERE seller_id = ANY($1::uuid[]) AND status = 'PUBLISHED' GROUP BY seller_id, rating`,
        [ids],
      )
    : [];
  const counts = new Map<string, RatingCounts>();
  for (const row of rows) {
    const entry = counts.get(row.seller_id) ?? emptyCounts();
    entry.counts[row.rating - 1] = Number(row.count);
    counts.set(row.seller_id, entry);
  }
  return counts;
}

/** Every seller's summary in one grouped query, however many sellers a page shows. */
export function reputationLoader(db: DataSource, prior: ReputationPrior): DataLoader<string, ReputationSummary> {
  return new DataLoader(async (sellerIds: readonly string[]) => {
    const counts = await ratingCounts(db, sellerIds);
    return sellerIds.map((id) => summarise(counts.get(id) ?? emptyCounts(), prior));
  });
}

/**
 * The first page of every seller a request asks about (and any later pages) in one statement: one
 * lateral keyset scan of the (seller_id, created_at, id) index per key.
 */
function reviewPageLoader(db: DataSource): DataLoader<ReviewPageKey, ReviewEntity[], string> {
  return new DataLoader(
    async (keys: readonly ReviewPageKey[]) => {
      const wanted = keys.map((key, index) => ({ key, index })).filter(({ key }) => validIds([key.sellerId]).length);
      const rows: (ReviewEntity & { n: number })[] = wanted.length
        ? await db.query(
            `SELECT k.n, r.id, r.order_id AS "orderId", r.seller_id AS "sellerId", r.author_id AS "authorId",
                    r.rating, r.body, r.created_at AS "createdAt", r.status, r.moderated_at AS "moderatedAt",
                    r.reply_body AS "replyBody", r.replied_at AS "repliedAt"
             FROM unnest($1::int[], $2::uuid[], $3::int[], $4::timestamptz[], $5::uuid[]) AS k(n, seller_id, lim, after_at, after_id)
             CROSS JOIN LATERAL (
               SELECT * FROM reviews
               WHERE seller_id = k.seller_id AND status = 'PUBLISHED' AND (k.after_at IS NULL OR (created_at, id) < (k.after_at, k.after_id))
               ORDER BY created_at DESC, id DESC
               LIMIT k.lim
             ) r
             ORDER BY k.n, r.created_at DESC, r.id DESC`,
            [
              wanted.map(({ index }) => index),
              wanted.map(({ key }) => key.sellerId),
              wanted.map(({ key }) => key.limit),
              wanted.map(({ key }) => key.after?.createdAt ?? null),
              wanted.map(({ key }) => key.after?.id ?? null),
            ],
          )
        : [];
      const pages: ReviewEntity[][] = keys.map(() => []);
      for (const { n, ...review } of rows) pages[n].push(review);
      return pages;
    },
    { cacheKeyFn: (key) => JSON.stringify([key.sellerId, key.limit, key.after]) },
  );
}

export function reputationLoaders(db: DataSource, prior: ReputationPrior): ReputationLoaders {
  const reviews = db.getRepository(ReviewEntity);
  return {
    reputation: reputationLoader(db, prior),
    review: loaderByKey((ids) => reviews.findBy({ id: In(validIds(ids)) }), (r) => r.id),
    reviewOfOrder: loaderByKey((ids) => reviews.findBy({ orderId: In(validIds(ids)) }), (r) => r.orderId),
    reviewPage: reviewPageLoader(db),
  };
}
