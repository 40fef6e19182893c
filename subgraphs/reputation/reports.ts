import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { badInput, conflict, notFound } from '../../lib/errors';
import type { EventPayloads } from '../../lib/events/catalog';
import { isUuid } from '../../lib/ids';
import { ReviewEntity } from './entities';
import { enqueue } from './queue';

/** Why a user reports a review or a listing (listings' reports use the same names). */
export const REPORT_REASONS = ['SPAM', 'FAKE', 'OFFENSIVE', 'PROHIBITED', 'COUNTERFEIT', 'MISLEADING', 'OTHER'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const MAX_REPORT_DETAILS = 1000;

const ONCE_PER_REVIEW = 'review_reports_once';

/**
 * Users' reports of reviews, and of listings as listings announces them. A report puts its subject in
 * the moderation queue; it does not hide a review (only the automatic signals hold reviews), so that
 * reports alone cannot take a seller's good reviews down: an operator decides.
 */
export class ReportsService {
  constructor(private readonly db: DataSource) {}

  /** Any signed-in user, once per review. */
  async reportReview(viewer: Viewer, reviewId: string, reason: ReportReason, detailsText?: string | null): Promise<boolean> {
    const details = detailsText?.trim() || null;
    if (details && details.length > MAX_REPORT_DETAILS) throw badInput(`details must be at most ${MAX_REPORT_DETAILS} characters`, 'details');
    if (!isUuid(reviewId)) throw notFound('Review');
    try {
      await this.db.transaction(async (manager) => {
        const review = await manager.getRepository(ReviewEntity).findOneBy({ id: reviewId });
        if (!review) throw notFound('Review');
        if (review.status === 'REMOVED') throw conflict('This review was removed already');
        const inserted: unknown[] = await manager.query(
          `INSERT INTO review_reports (review_id, reporter_id, reason, details) VALUES ($1, $2, $3, $4)
           ON CONFLICT ON CONSTRAINT ${ONCE_PER_REVIEW} DO NOTHING RETURNING id`,
          [reviewId, viewer.userId, reason, details],
        );
        if (!inserted.length) throw conflict('You have reported this review already');
        await enqueue(manager, 'REVIEW', reviewId, reason);
      });
    } catch (error) {
      if (isUniqueViolation(error, ONCE_PER_REVIEW)) throw conflict('You have reported this review already');
      throw error;
    }
    return true;
  }
}

/**
 * A listing's report and its removal, heard at the same moment, take turns: otherwise the report
 * could miss the uncommitted removal and the removal the uncommitted item, leaving it open for ever.
 */
async function lockListing(manager: EntityManager, listingId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`reputation:listing:${listingId}`]);
}

/**
 * A listing report from listings: kept, and queued unless the listing was removed meanwhile (the
 * events may arrive in either order). The item takes the report's own time, for its place in the queue.
 */
export async function recordListingReport(manager: EntityManager, report: EventPayloads['ListingReported']): Promise<void> {
  await lockListing(manager, report.listingId);
  await manager.query(
    `INSERT INTO listing_reports (id, listing_id, seller_id, reporter_id, reason, details, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
    [report.reportId, report.listingId, report.sellerId, report.reporterId, report.reason, report.details, new Date(report.at)],
  );
  const removed: unknown[] = await manager.query(`SELECT 1 FROM removed_listings WHERE listing_id = $1`, [report.listingId]);
  if (!removed.length) await enqueue(manager, 'LISTING', report.listingId, report.reason, new Date(report.at));
}

/** A listing removed by an operator settles its reports, those already heard of and any that arrive late. */
export async function recordListingRemoved(manager: EntityManager, removal: EventPayloads['ListingRemoved']): Promise<void> {
  await lockListing(manager, removal.listingId);
  await manager.query(`INSERT INTO removed_listings (listing_id, removed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [removal.listingId, new Date(removal.at)]);
  await manager.query(
    `UPDATE moderation_items SET closed_at = now(), decision = 'REMOVED', closed_by = $2, note = $3
     WHERE subject_type = 'LISTING' AND subject_id = $1 AND closed_at IS NULL`,
    [removal.listingId, removal.by, removal.reason],
  );
}

/** Events that could never be stored are dropped rather than retried for ever. */
export const wellFormedReport = (r: EventPayloads['ListingReported']): boolean =>
  isUuid(r.reportId) && isUuid(r.listingId) && isUuid(r.sellerId) && isUuid(r.reporterId) && typeof r.reason === 'string' && r.reason.length <= 64 && !Number.isNaN(Date.parse(r.at));

export const wellFormedRemoval = (r: EventPayloads['ListingRemoved']): boolean =>
  isUuid(r.listingId) && typeof r.reason === 'string' && !Number.isNaN(Date.parse(r.at));
