import type { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../../lib/db/affected';
import { badInput } from '../../lib/errors';
import { digestOf, newSecret } from './secrets';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

export type LinkPurpose = 'verify-email' | 'reset-password';

/** How long a link works, and where it leads (a page of the marketplace's public address). */
export const LINKS: Record<LinkPurpose, { minutes: number; path: string }> = {
  // long enough to find the email the next morning
  'verify-email': { minutes: 7 * 24 * 60, path: '/account/verify-email' },
  // the contract's 30 minutes: a reset link in a mailbox is a key to the account
  'reset-password': { minutes: 30, path: '/account/reset-password' },
};

/**
 * The tokens of links sent by email: one purpose, one user, used once, until they expire.
 * Only their digest is kept.
 */
export class OneTimeLinks {
  constructor(private readonly publicUrl: () => string) {}

  async issue(db: Queryable, userId: string, purpose: LinkPurpose): Promise<{ url: string; expiresAt: Date }> {
    const token = newSecret();
    const [{ expires_at }]: { expires_at: Date }[] = await db.query(
      `INSERT INTO one_time_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, now() + make_interval(mins => $4))
       RETURNING expires_at`,
      [digestOf(token), userId, purpose, LINKS[purpose].minutes],
    );
    const url = new URL(LINKS[purpose].path, this.publicUrl());
    url.searchParams.set('token', token);
    return { url: url.toString(), expiresAt: new Date(expires_at) };
  }

  /** How many links of a purpose a user was sent in the last `minutes` (rate limits). */
  async countRecent(db: Queryable, userId: string, purpose: LinkPurpose, minutes: number): Promise<number> {
    const [{ n }]: { n: number }[] = await db.query(
      `SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > now() - make_interval(mins => $3)`,
      [userId, purpose, minutes],
    );
    return n;
  }

  /** Spends a token in the caller's transaction; unknown, used or expired: BAD_USER_INPUT. Returns its user. */
  async spend(db: Queryable, token: string, purpose: LinkPurpose): Promise<string> {
    const rows = returnedRows<{ user_id: string }>(
      await db.query(
      `UPDATE one_time_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
        [digestOf(token), purpose],
      ),
    );
    if (rows.length === 0) throw badInput('This link is used, expired or unknown; ask for a new one', 'token');
    return rows[0].user_id;
  }
}
