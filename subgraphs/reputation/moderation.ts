import type { DataSource } from 'typeorm';
import { recordAudit } from '../../lib/audit/record';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, notFound } from '../../lib/errors';
import { recordEvent, type OutboxRelay } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageSize, toConnection, type Connection } from '../../lib/pagination';
import { requiredText } from '../../lib/validation';
import { requireModerator } from './access';
import { ReviewEntity } from './entities';
import { settle, type Subject } from './queue';
import type { ReputationPrior } from './reputation';
import { lockedNow, lockReviews, publishScores } from './scores';

/** One item of the moderation queue, as ModerationItem resolves from it. */
export interface QueueItem {
  id: string;
  subjectType: Subject;
  subjectId: string;
  reasons: string[];
  createdAt: Date;
}

export type Decision = 'APPROVE' | 'REMOVE';

export const MAX_NOTE = 2000;

const QUEUE_CURSOR = 'moderation-queue';

/** The operators' side of reviews you can trust: the queue and the decisions that empty it. */
export class ModerationService {
  constructor(
    private readonly db: DataSource,
    private readonly outbox: OutboxRelay,
    private readonly prior: ReputationPrior,
  ) {}

  /** Open items, oldest first (the longest waiting are decided first). */
  async queue(viewer: Viewer, first?: number | null, after?: string | null): Promise<Connection<QueueItem>> {
    requireModerator(viewer);
    const size = pageSize(first);
    const position = decodeTimeIdCursor(QUEUE_CURSOR, after);
    const [rows, [{ n }]] = await Promise.all([
      this.db.query(
        `SELECT id, subject_type AS "subjectType", subject_id AS "subjectId", reasons, created_at AS "createdAt"
         FROM moderation_items
         WHERE closed_at IS NULL AND ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
         ORDER BY created_at, id LIMIT $3`,
        [position?.createdAt ?? null, position?.id ?? null, size + 1],
      ) as Promise<QueueItem[]>,
      this.db.query(`SELECT count(*)::int AS n FROM moderation_items WHERE closed_at IS NULL`) as Promise<{ n: number }[]>,
    ]);
    return toConnection(rows, size, n, (item) => encodeTimeIdCursor(QUEUE_CURSOR, item));
  }

  /**
   * APPROVE publishes a held review (it counts again, and its seller hears of it now) or keeps a
   * reported one published; REMOVE hides it for good. Either way it leaves the queue, is marked
   * decided (no signal holds it again) and the decision is audited in the same transaction.
   */
  async moderateReview(viewer: Viewer, reviewId: string, decision: Decision, noteText: string): Promise<ReviewEntity> {
    requireModerator(viewer);
    const note = requiredText(noteText, 'note', { max: MAX_NOTE });
    if (!isUuid(reviewId)) throw notFound('Review');
    const review = await this.db.transaction(async (manager) => {
      await lockReviews(manager);
      const reviews = manager.getRepository(ReviewEntity);
      const review = await reviews.findOneBy({ id: reviewId });
      if (!review) throw notFound('Review');
      if (review.status === 'REMOVED') throw conflict('This review was removed; a removal is final');
      const before = review.status;
      review.status = decision === 'APPROVE' ? 'PUBLISHED' : 'REMOVED';
      review.moderatedAt = new Date();
      const saved = await reviews.save(review);
      await settle(manager, 'REVIEW', review.id, { decision: decision === 'APPROVE' ? 'APPROVED' : 'REMOVED', by: viewer.userId, note });
      await recordAudit(manager, 'reputation', {
        action: 'review.moderated',
        actorId: viewer.userId,
        targetType: 'review',
        targetId: review.id,
        details: { decision, note, statusBefore: before, status: saved.status, sellerId: review.sellerId },
      });
      if (before !== saved.status) {
        const at = await lockedNow(manager);
        if (saved.status === 'PUBLISHED') {
          // held until now, the seller had not heard of it
          const { orderId, sellerId, authorId, rating } = saved;
          await recordEvent(manager, 'reputation', 'ReviewPosted', { reviewId: saved.id, orderId, sellerId, authorId, rating, at });
        }
        // a held review that is removed was not counted: the score stands
        if (before === 'PUBLISHED' || saved.status === 'PUBLISHED') await publishScores(manager, this.prior, [saved.sellerId], at);
      }
      return saved;
    });
    this.outbox.wake();
    return review;
  }

  /** Settles a listing's open reports without removing it (removeListing, in listings, is the other way out). */
  async dismissListingReports(viewer: Viewer, listingId: string, noteText: string): Promise<boolean> {
    requireModerator(viewer);
    const note = requiredText(noteText, 'note', { max: MAX_NOTE });
    if (!isUuid(listingId)) throw notFound('Open reports of this listing');
    await this.db.transaction(async (manager) => {
      const settled = await settle(manager, 'LISTING', listingId, { decision: 'DISMISSED', by: viewer.userId, note });
      if (!settled) throw notFound('Open reports of this listing');
      await recordAudit(manager, 'reputation', {
        action: 'listing.reports_dismissed',
        actorId: viewer.userId,
        targetType: 'listing',
        targetId: listingId,
        details: { note },
      });
    });
    this.outbox.wake();
    return true;
  }
}
