import type { DataSource } from 'typeorm';
import { newestFirst } from '../../lib/db/newest-first';
import { badInput } from '../../lib/errors';
import { validIds } from '../../lib/ids';
import type { Connection } from '../../lib/pagination';
import { NotificationEntity } from './entities';

const MAX_IDS = 100;

/** A user's notifications in the app: the list, the unread count, marking read. */
export class Inbox {
  constructor(private readonly db: DataSource) {}

  list(userId: string, first?: number | null, after?: string | null, unreadOnly?: boolean | null): Promise<Connection<NotificationEntity>> {
    const rows = () => {
      const query = this.db.getRepository(NotificationEntity).createQueryBuilder('n').where('n.user_id = :userId AND n.in_app', { userId });
      return unreadOnly ? query.andWhere('n.read_at IS NULL') : query;
    };
    // unread-only and all are different lists: a cursor of one is refused by the other
    return newestFirst(rows, unreadOnly ? `notifications:unread:${userId}` : `notifications:${userId}`, first, after);
  }

  async unreadCount(userId: string): Promise<number> {
    const [{ n }]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND in_app AND read_at IS NULL`,
      [userId],
    );
    return n;
  }

  /** The given ids that are the user's (others are ignored), or all; returns how many stay unread. */
  async markRead(userId: string, ids: readonly string[] | null | undefined): Promise<number> {
    if (ids && ids.length > MAX_IDS) throw badInput(`at most ${MAX_IDS} ids at once`, 'ids');
    return this.db.transaction(async (manager) => {
      await manager.query(
        `UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
        [userId, ids ? validIds(ids) : null],
      );
      const [{ n }]: { n: number }[] = await manager.query(
        `SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND in_app AND read_at IS NULL`,
        [userId],
      );
      return n;
    });
  }
}
