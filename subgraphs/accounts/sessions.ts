import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { unauthenticated } from '../../lib/errors';
import { digestOf, newSecret } from './secrets';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** Why a session ended, kept for support and for the owner's own export. */
export type EndedWhy = 'logged-out' | 'password-changed' | 'password-reset' | 'refresh-token-replayed' | 'account-deleted';

const ended = () => unauthenticated('This session has ended: log in again');

/**
 * Sessions of a user, each carried by a refresh token that works once (OAuth 2.0 Security BCP,
 * refresh token rotation): refreshing spends it and returns the next one. A spent token presented
 * again means a copy exists elsewhere (stolen, or a client bug), so every session of the user ends.
 */
export class Sessions {
  constructor(
    private readonly db: DataSource,
    private readonly ttlDays: number,
  ) {}

  /** Opens a session and returns its first refresh token and its id (the access token's `sid`). */
  async open(db: Queryable, userId: string, twoFactor: boolean): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    await db.query(`INSERT INTO sessions (id, user_id, two_factor) VALUES ($1, $2, $3)`, [sessionId, userId, twoFactor]);
    return { sessionId, refreshToken: await this.issue(db, sessionId) };
  }

  /** Spends a refresh token for the next one. Unknown, spent, expired or ended: UNAUTHENTICATED. */
  async rotate(refreshToken: string): Promise<{ userId: string; sessionId: string; twoFactor: boolean; refreshToken: string }> {
    const outcome = await this.db.transaction(async (manager) => {
      type Row = { session_id: string; user_id: string; two_factor: boolean; used: boolean; expired: boolean; ended: boolean };
      const [token]: Row[] = await manager.query(
        `SELECT t.session_id, s.user_id, s.two_factor, t.used_at IS NOT NULL AS used, t.expires_at < now() AS expired, s.ended_at IS NOT NULL AS ended
           FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [digestOf(refreshToken)],
      );
      if (!token || token.ended || token.expired) return { kind: 'refused' as const };
      if (token.used) {
        // committed before the refusal is thrown: the replay must end the sessions whatever happens next
        await this.endAll(manager, token.user_id, 'refresh-token-replayed');
        return { kind: 'refused' as const };
      }
      await manager.query(`UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, [digestOf(refreshToken)]);
      await manager.query(`UPDATE sessions SET last_used_at = now() WHERE id = $1`, [token.session_id]);
      const next = await this.issue(manager, token.session_id);
      return { kind: 'rotated' as const, userId: token.user_id, sessionId: token.session_id, twoFactor: token.two_factor, refreshToken: next };
    });
    if (outcome.kind === 'refused') throw ended();
    return outcome;
  }

  /** Ends the session a refresh token belongs to; nothing happens for one that is unknown or ended already. */
  async end(refreshToken: string): Promise<void> {
    await this.db.query(
      `UPDATE sessions SET ended_at = now(), ended_why = 'logged-out'
        WHERE ended_at IS NULL AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)`,
      [digestOf(refreshToken)],
    );
  }

  /** Ends every open session of a user, but `keep` (the one the request came from, when it stays). */
  async endAll(db: Queryable, userId: string, why: EndedWhy, keep?: string): Promise<void> {
    await db.query(
      `UPDATE sessions SET ended_at = now(), ended_why = $2 WHERE user_id = $1 AND ended_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [userId, why, keep ?? null],
    );
  }

  private async issue(db: Queryable, sessionId: string): Promise<string> {
    const token = newSecret();
    await db.query(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))`, [
      digestOf(token),
      sessionId,
      this.ttlDays,
    ]);
    return token;
  }
}
