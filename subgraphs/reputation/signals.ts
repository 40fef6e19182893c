import type { EntityManager } from 'typeorm';
import type { SignalConfig } from './config';

/** The automatic fake-review signals, by the name operators see among a queue item's reasons. */
export type SignalName = 'SELLER_BURST' | 'NEW_ACCOUNT_BURST' | 'DUPLICATE_TEXT';

/** The review just written, as the rules need it. */
export interface WrittenReview {
  id: string;
  sellerId: string;
  authorId: string;
  createdAt: Date;
}

/** A rule that fired, and every review of its pattern (the new one and the earlier ones). */
export interface FiredSignal {
  signal: SignalName;
  reviewIds: string[];
}

/**
 * One rule: looks at the review just written (already inserted, in the same transaction, under
 * lockReviews) and returns the pattern it completes, if any. A burst is only seen once it has
 * happened, so a rule returns the earlier reviews of the pattern too and all of them are held.
 */
type Rule = (manager: EntityManager, review: WrittenReview, config: SignalConfig) => Promise<FiredSignal | null>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** When reputation heard the author's account was made; null for accounts of before it listened (never "new"). */
async function accountCreatedAt(manager: EntityManager, userId: string): Promise<Date | null> {
  const rows: { created_at: Date }[] = await manager.query(`SELECT created_at FROM known_accounts WHERE user_id = $1`, [userId]);
  return rows[0] ? new Date(rows[0].created_at) : null;
}

/**
 * SELLER_BURST: several brand-new accounts review one seller within a short window — a seller
 * buying their own praise through fresh accounts. Fires when the new review's author is new and at
 * least sellerBurstCount distinct new accounts reviewed the seller within the window; holds all of
 * those accounts' reviews of the seller in the window.
 */
export const sellerBurst: Rule = async (manager, review, config) => {
  const created = await accountCreatedAt(manager, review.authorId);
  if (!created || review.createdAt.getTime() - created.getTime() >= config.newAccountMs) return null;
  const rows: { id: string; author_id: string }[] = await manager.query(
    `SELECT r.id, r.author_id FROM reviews r JOIN known_accounts a ON a.user_id = r.author_id
     WHERE r.seller_id = $1 AND r.created_at > $2 AND r.created_at < a.created_at + $3 * interval '1 millisecond'`,
    [review.sellerId, new Date(review.createdAt.getTime() - config.sellerBurstWindowMs), config.newAccountMs],
  );
  const authors = new Set(rows.map((row) => row.author_id));
  return authors.size >= config.sellerBurstCount ? { signal: 'SELLER_BURST', reviewIds: rows.map((row) => row.id) } : null;
};

/**
 * NEW_ACCOUNT_BURST: an account reviews far more than its age allows — a bought or scripted
 * account. An account may write accountBurstBase reviews on its first day and accountBurstPerDay
 * more per whole day of age; one more fires and holds every review the account wrote.
 */
export const newAccountBurst: Rule = async (manager, review, config) => {
  const created = await accountCreatedAt(manager, review.authorId);
  if (!created) return null;
  const ageDays = Math.max(0, Math.floor((review.createdAt.getTime() - created.getTime()) / DAY_MS));
  const allowed = config.accountBurstBase + ageDays * config.accountBurstPerDay;
  const rows: { id: string }[] = await manager.query(`SELECT id FROM reviews WHERE author_id = $1`, [review.authorId]);
  return rows.length > allowed ? { signal: 'NEW_ACCOUNT_BURST', reviewIds: rows.map((row) => row.id) } : null;
};

/**
 * DUPLICATE_TEXT: the same text as another review, whoever wrote it and of whichever seller — a
 * template pasted by a review farm. Texts compare normalised (reviews.text_key: lower case, runs of
 * spaces and punctuation as one space); texts shorter than duplicateMinLength are too common
 * ("Great seller!") to mean anything. Holds every review with that text.
 */
export const duplicateText: Rule = async (manager, review, config) => {
  const rows: { id: string }[] = await manager.query(
    `SELECT other.id FROM reviews mine JOIN reviews other ON other.text_key = mine.text_key
     WHERE mine.id = $1 AND length(mine.text_key) >= $2`,
    [review.id, config.duplicateMinLength],
  );
  return rows.length > 1 ? { signal: 'DUPLICATE_TEXT', reviewIds: rows.map((row) => row.id) } : null;
};

export const RULES: readonly Rule[] = [sellerBurst, newAccountBurst, duplicateText];

/** Every rule the review sets off. */
export async function firedSignals(manager: EntityManager, review: WrittenReview, config: SignalConfig): Promise<FiredSignal[]> {
  const fired: FiredSignal[] = [];
  for (const rule of RULES) {
    const signal = await rule(manager, review, config);
    if (signal) fired.push(signal);
  }
  return fired;
}
