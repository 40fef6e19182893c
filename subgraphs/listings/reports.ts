import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import { conflict, forbidden, notFound } from '../../lib/errors';
import { recordEvent } from '../../lib/events/outbox';
import { isUuid } from '../../lib/ids';

/** Why a user reports a listing (reputation has the same reasons for reviews). */
export type ReportReason = 'SPAM' | 'FAKE' | 'OFFENSIVE' | 'PROHIBITED' | 'COUNTERFEIT' | 'MISLEADING' | 'OTHER';

export const MAX_REPORT_DETAILS = 2000;

/**
 * A user's report of a listing, for the operators' moderation queue (reputation keeps the queue and
 * hears of it by ListingReported). Once per user and listing: a second report adds nothing an
 * operator needs and would let one person push a listing up the queue. Only listings the reporter
 * can see (for sale) can be reported: anything else is NOT_FOUND, as it is to them everywhere.
 * The length of `details` is checked by the SDL's stated maximum before this runs.
 */
export async function reportListing(
  db: DataSource,
  viewer: Viewer,
  input: { listingId: string; reason: ReportReason; details?: string | null },
): Promise<void> {
  if (!isUuid(input.listingId)) throw notFound('Listing');
  const details = input.details?.trim() || null;
  await db.transaction(async (manager) => {
    const [listing]: { seller_id: string; title: string }[] = await manager.query(
      `SELECT seller_id, title FROM listings WHERE id = $1 AND status = 'ACTIVE'`,
      [input.listingId],
    );
    if (!listing) throw notFound('Listing');
    if (listing.seller_id === viewer.seller?.id) throw forbidden('You cannot report your own listing');
    const [report]: { id: string; created_at: Date }[] = await manager.query(
      `INSERT INTO listing_reports (listing_id, reporter_id, reason, details) VALUES ($1, $2, $3, $4)
       ON CONFLICT (listing_id, reporter_id) DO NOTHING RETURNING id, created_at`,
      [input.listingId, viewer.userId, input.reason, details],
    );
    if (!report) throw conflict('You have reported this listing already');
    await recordEvent(manager, 'listings', 'ListingReported', {
      reportId: report.id,
      listingId: input.listingId,
      sellerId: listing.seller_id,
      title: listing.title,
      reporterId: viewer.userId,
      reason: input.reason,
      details,
      at: new Date(report.created_at).toISOString(),
    });
  });
}
