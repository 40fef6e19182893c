import type { EntityManager } from 'typeorm';

type Queryable = Pick<EntityManager, 'query'>;

/** The words a deleted author's messages keep: the other party still sees that something was said. */
export const ERASED_MESSAGE = '(deleted with its author’s account)';

/** Everything notifications holds about a user, for their export. */
export async function personalData(db: Queryable, userId: string): Promise<Record<string, unknown>> {
  const [notifications, preferences, messages, emails] = await Promise.all([
    db.query(`SELECT id, kind, title, body, order_id, in_app, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY created_at`, [userId]),
    db.query(`SELECT kind, in_app, email FROM notification_preferences WHERE user_id = $1 ORDER BY kind`, [userId]),
    db.query(`SELECT id, order_id, body, created_at FROM order_messages WHERE author_id = $1 ORDER BY created_at`, [userId]),
    db.query(`SELECT id, to_address, subject, status, created_at, sent_at FROM emails WHERE user_id = $1 ORDER BY created_at`, [userId]),
  ]);
  return { notifications, notificationPreferences: preferences, messagesWritten: messages, emails };
}

/** A deleted account: its notifications, preferences and emails go; its messages keep their place, not their words. */
export async function forgetUser(db: Queryable, userId: string): Promise<void> {
  await db.query(`DELETE FROM notifications WHERE user_id = $1`, [userId]);
  await db.query(`DELETE FROM notification_preferences WHERE user_id = $1`, [userId]);
  await db.query(`DELETE FROM emails WHERE user_id = $1`, [userId]);
  await db.query(`UPDATE order_messages SET body = $2 WHERE author_id = $1`, [userId, ERASED_MESSAGE]);
}
