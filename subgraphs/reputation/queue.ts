import { affectedRows } from '../../lib/db/affected';
import type { EntityManager } from 'typeorm';
import type { FiredSignal } from './signals';

/** What an item of the moderation queue is about. */
export type Subject = 'REVIEW' | 'LISTING';

/**
 * Puts a review or listing in the moderation queue with a reason, or adds the reason to its open
 * item (each reason once, in the order they came; the item keeps its earliest time, so that it does
 * not lose its place). Safe under concurrency: the open item is unique per subject.
 */
export async function enqueue(manager: EntityManager, subject: Subject, subjectId: string, reason: string, at: Date | null = null): Promise<void> {
  await manager.query(
    `INSERT INTO moderation_items (subject_type, subject_id, reasons, created_at) VALUES ($1, $2, ARRAY[$3::text], coalesce($4::timestamptz, now()))
     ON CONFLICT (subject_type, subject_id) WHERE closed_at IS NULL DO UPDATE SET
       reasons = CASE WHEN $3::text = ANY (moderation_items.reasons) THEN moderation_items.reasons ELSE moderation_items.reasons || $3::text END,
       created_at = LEAST(moderation_items.created_at, EXCLUDED.created_at)`,
    [subject, subjectId, reason, at],
  );
}

/** Closes a subject's open item with what was decided; false when none was open. */
export async function settle(
  manager: EntityManager,
  subject: Subject,
  subjectId: string,
  decision: { decision: string; by: string | null; note: string | null },
): Promise<boolean> {
  const closed: unknown = await manager.query(
    `UPDATE moderation_items SET closed_at = now(), decision = $3, closed_by = $4, note = $5
     WHERE subject_type = $1 AND subject_id = $2 AND closed_at IS NULL`,
    [subject, subjectId, decision.decision, decision.by, decision.note],
  );
  return affectedRows(closed) > 0;
}

/**
 * Holds the reviews of a pattern a signal found: records the signal on each, hides those still
 * published that no operator has decided on (a decided review is never held again; a removed one
 * stays removed), and queues every one of them that is held. Returns the reviews it took out of the
 * published ones (whose sellers' scores changed).
 */
export async function hold(manager: EntityManager, { signal, reviewIds }: FiredSignal): Promise<{ id: string; sellerId: string }[]> {
  const eligible: { id: string; seller_id: string; status: string }[] = await manager.query(
    `SELECT id, seller_id, status FROM reviews WHERE id = ANY($1::uuid[]) AND moderated_at IS NULL AND status <> 'REMOVED' ORDER BY created_at, id`,
    [reviewIds],
  );
  if (!eligible.length) return [];
  const ids = eligible.map((review) => review.id);
  await manager.query(
    `INSERT INTO review_signals (review_id, signal) SELECT unnest($1::uuid[]), $2 ON CONFLICT DO NOTHING`,
    [ids, signal],
  );
  await manager.query(`UPDATE reviews SET status = 'HELD' WHERE id = ANY($1::uuid[]) AND status = 'PUBLISHED'`, [ids]);
  for (const id of ids) await enqueue(manager, 'REVIEW', id, signal);
  return eligible.filter((review) => review.status === 'PUBLISHED').map((review) => ({ id: review.id, sellerId: review.seller_id }));
}
